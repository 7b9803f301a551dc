package io.stockade.supervisor.net;

import static io.stockade.supervisor.net.Nft.anonSet;
import static io.stockade.supervisor.net.Nft.concat;
import static io.stockade.supervisor.net.Nft.ct;
import static io.stockade.supervisor.net.Nft.eq;
import static io.stockade.supervisor.net.Nft.jump;
import static io.stockade.supervisor.net.Nft.meta;
import static io.stockade.supervisor.net.Nft.namedCounter;
import static io.stockade.supervisor.net.Nft.ne;
import static io.stockade.supervisor.net.Nft.num;
import static io.stockade.supervisor.net.Nft.payload;
import static io.stockade.supervisor.net.Nft.setRef;
import static io.stockade.supervisor.net.Nft.str;
import static io.stockade.supervisor.net.Nft.verdict;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockade.policy.RateLimit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code inet stockade} table inside one sandbox's namespace. A guest's packets enter the
 * namespace on the TAP and leave on the veth: they traverse prerouting (anti-spoofing, before
 * conntrack) and forward (the allowlist). Every outbound packet, not only the first of a
 * connection, is checked against the allowlist, so narrowing the sets cuts open connections at
 * once; inbound packets pass only as replies (established/related). Denied egress is rejected
 * (TCP reset / ICMP admin-prohibited) rather than dropped, so it fails fast for the guest and the
 * attach-time probe gets an answer in microseconds. Optional rate limits ({@link RateRules}) sit
 * at the top of the egress chain (what the guest sends) and of the ingress chain (replies to it).
 */
final class SandboxFirewall {
  static final String TABLE = "stockade";
  static final String FAMILY = "inet";

  /** Always blocked, whatever the spec says (the pool covers other sandboxes and the host veths). */
  static List<Ipv4.Range> alwaysBlocked(NetConfig config) {
    List<Ipv4.Range> r = new ArrayList<>();
    for (String c : List.of("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10",
        "192.0.0.0/24", "224.0.0.0/4", "240.0.0.0/4")) {
      r.add(Ipv4.cidr(c));
    }
    r.add(Ipv4.cidr(config.pool()));
    return r;
  }

  private SandboxFirewall() {}

  static TableModel build(NetConfig config, SlotAddresses a, Allowlist allow, RateLimit rate) {
    TableModel t = new TableModel(FAMILY, TABLE);
    t.batch.cmd("add", "table", Nft.table(FAMILY, TABLE));
    t.batch.cmd("add", "counter", Nft.counter(FAMILY, TABLE, "tx"));
    t.batch.cmd("add", "counter", Nft.counter(FAMILY, TABLE, "rx"));

    List<Allowlist.Element> blocked = new ArrayList<>();
    for (Ipv4.Range r : alwaysBlocked(config)) {
      blocked.add(new Allowlist.Element(r.first(), r.last(), -1, -1));
    }
    t.addressSet("blocked", false, merge(blocked));
    List<Allowlist.Element> rfc1918 = new ArrayList<>();
    Allowlist.RFC1918.forEach(r -> rfc1918.add(new Allowlist.Element(r.first(), r.last(), -1, -1)));
    t.addressSet("rfc1918", false, rfc1918);
    for (String set : Allowlist.SET_NAMES) {
      t.addressSet(set, !set.endsWith("icmp"), allow.sets().get(set));
    }

    // Jump targets must exist before the rules that jump to them.
    t.chain("egress");
    t.chain("private");
    t.chain("ingress");
    String tap = SlotAddresses.TAP;
    // Raw priority: spoofed frames die before conntrack ever sees them.
    t.baseChain("prerouting", "filter", "prerouting", -300, "accept");
    t.rule("prerouting", eq(meta("iifname"), str(tap)), ne(payload("ether", "saddr"),
        str(a.guestMac())), verdict("drop"));
    t.rule("prerouting", eq(meta("iifname"), str(tap)), ne(meta("nfproto"), str("ipv4")),
        verdict("drop"));
    t.rule("prerouting", eq(meta("iifname"), str(tap)), ne(payload("ip", "saddr"),
        str(Ipv4.format(a.guest()))), verdict("drop"));

    t.baseChain("forward", "filter", "forward", 0, "drop");
    forwardRules(t);
    egressRules(config, t, rate);
    ingressRules(t, rate);

    t.baseChain("input", "filter", "input", 0, "drop");
    t.rule("input", eq(meta("iifname"), str("lo")), verdict("accept"));
    // Local output is only loopback and the reject answers sent to the guest. Those answers are
    // not rate limited: they are one per refused packet, and the refused packets were already
    // counted against the guest's egress limit (over it, they are dropped and get no answer).
    t.baseChain("output", "filter", "output", 0, "drop");
    t.rule("output", eq(meta("oifname"), str("lo")), verdict("accept"));
    t.rule("output", eq(meta("oifname"), str(tap)), eq(payload("ip", "daddr"),
        str(Ipv4.format(a.guest()))), verdict("accept"));
    return t;
  }

  private static void forwardRules(TableModel t) {
    String tap = SlotAddresses.TAP;
    String up = SlotAddresses.SANDBOX_VETH;
    t.rule("forward", eq(meta("nfproto"), str("ipv6")), verdict("drop"));
    t.rule("forward", eq(meta("iifname"), str(tap)), eq(meta("oifname"), str(up)), jump("egress"));
    // Only replies reach the ingress limits: unsolicited packets cannot spend the guest's budget.
    t.rule("forward", eq(meta("iifname"), str(up)), eq(meta("oifname"), str(tap)),
        eq(ct("state"), anonSet(str("established"), str("related"))), jump("ingress"));
  }

  /**
   * Everything the guest sends that the namespace would forward counts against its egress limit,
   * allowed or not: checking the limit first means a guest flooding denied destinations spends its
   * own budget, not the host's CPU on rejects.
   */
  private static void egressRules(NetConfig config, TableModel t, RateLimit rate) {
    for (JsonNode limit : RateRules.statements(rate)) {
      t.rule("egress", limit, verdict("drop"));
    }
    Optional<String> resolver = config.resolver();
    for (String proto : List.of("udp", "tcp")) {
      resolver.ifPresent(r -> t.rule("egress", eq(payload("ip", "daddr"), str(r)),
          eq(payload(proto, "dport"), num(53)), namedCounter("tx"), verdict("accept")));
      // DNS only to the configured resolver; DNS over TLS/QUIC nowhere (it would bypass it).
      t.rule("egress", eq(payload(proto, "dport"), anonSet(num(53), num(853))),
          Nft.rejectAdminProhibited());
    }
    t.rule("egress", eq(payload("ip", "daddr"), setRef("blocked")), Nft.rejectAdminProhibited());
    t.rule("egress", eq(payload("ip", "daddr"), setRef("rfc1918")), jump("private"));
    allowRules(t, "egress", "allow_");
    allowRules(t, "private", "priv_");
  }

  /** Replies to the guest: its ingress limits, then accepted (returning drops: forward's policy). */
  private static void ingressRules(TableModel t, RateLimit rate) {
    for (JsonNode limit : RateRules.statements(rate)) {
      t.rule("ingress", limit, verdict("drop"));
    }
    t.rule("ingress", namedCounter("rx"), verdict("accept"));
  }

  private static void allowRules(TableModel t, String chain, String prefix) {
    for (String proto : List.of("tcp", "udp")) {
      t.rule(chain, eq(concat(payload("ip", "daddr"), payload(proto, "dport")),
          setRef(prefix + proto)), namedCounter("tx"), verdict("accept"));
    }
    t.rule(chain, eq(meta("l4proto"), str("icmp")), eq(payload("ip", "daddr"),
        setRef(prefix + "icmp")), namedCounter("tx"), verdict("accept"));
    t.rule(chain, eq(meta("l4proto"), str("tcp")), Nft.rejectTcpReset());
    t.rule(chain, Nft.rejectAdminProhibited());
  }

  /** A change and the table it must produce. */
  record Change(Nft.Batch batch, TableModel expected) {}

  /**
   * One transaction that replaces the allowlist sets' contents, the rate limits (both directions)
   * and the forward, egress and ingress rules: either all of it applies or none. Replacing a limit
   * rule starts its bucket full again. The forward chain is rebuilt too, and the ingress chain
   * added if missing, so that a table installed before rate limits existed gets them as well.
   */
  static Change swap(NetConfig config, SlotAddresses a, Allowlist allow, RateLimit rate) {
    TableModel expected = build(config, a, allow, rate);
    TableModel t = new TableModel(FAMILY, TABLE);
    for (String set : Allowlist.SET_NAMES) {
      t.batch.cmd("flush", "set", Nft.chain(FAMILY, TABLE, set));
      t.addElements(t.batch, set, !set.endsWith("icmp"), allow.sets().get(set));
    }
    t.chain("ingress");
    for (String chain : List.of("forward", "egress", "private", "ingress")) {
      t.batch.cmd("flush", "chain", Nft.chain(FAMILY, TABLE, chain));
      t.existingChain(chain);
    }
    forwardRules(t);
    egressRules(config, t, rate);
    ingressRules(t, rate);
    return new Change(t.batch, expected);
  }

  static List<Allowlist.Element> merge(List<Allowlist.Element> ranges) {
    List<Allowlist.Element> sorted = new ArrayList<>(ranges);
    sorted.sort((x, y) -> Long.compare(x.addrFirst(), y.addrFirst()));
    List<Allowlist.Element> out = new ArrayList<>();
    for (Allowlist.Element e : sorted) {
      Allowlist.Element top = out.isEmpty() ? null : out.get(out.size() - 1);
      if (top != null && e.addrFirst() <= top.addrLast() + 1) {
        out.set(out.size() - 1, new Allowlist.Element(top.addrFirst(),
            Math.max(top.addrLast(), e.addrLast()), -1, -1));
      } else {
        out.add(e);
      }
    }
    return out;
  }
}
