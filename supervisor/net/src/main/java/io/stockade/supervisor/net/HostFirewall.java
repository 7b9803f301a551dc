package io.stockade.supervisor.net;

import static io.stockade.supervisor.net.Nft.anonSet;
import static io.stockade.supervisor.net.Nft.concat;
import static io.stockade.supervisor.net.Nft.ct;
import static io.stockade.supervisor.net.Nft.eq;
import static io.stockade.supervisor.net.Nft.jump;
import static io.stockade.supervisor.net.Nft.meta;
import static io.stockade.supervisor.net.Nft.ne;
import static io.stockade.supervisor.net.Nft.num;
import static io.stockade.supervisor.net.Nft.payload;
import static io.stockade.supervisor.net.Nft.setRef;
import static io.stockade.supervisor.net.Nft.str;
import static io.stockade.supervisor.net.Nft.verdict;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.List;

/**
 * The one host-side table. Its rules are fixed; sandboxes are elements of the set
 * {@code sandboxes} ({@code ifname . ipv4_addr}: host veth and guest address), so adding or
 * removing a sandbox is one element in one transaction and the per-packet path is a hash lookup
 * however many sandboxes run. A packet from any veth carrying the name prefix whose (veth, source)
 * pair is not an element is dropped: a sandbox being built or torn down, a leftover of a crash, or
 * a guest spoofing another's address.
 */
final class HostFirewall {
  static final String FAMILY = "inet";
  static final String SET = "sandboxes";

  private HostFirewall() {}

  static TableModel build(NetConfig config) {
    String table = config.hostTable();
    TableModel t = new TableModel(FAMILY, table);
    t.batch.cmd("add", "table", Nft.table(FAMILY, table));
    // Recreate the chains' rules without touching the set (it holds the running sandboxes):
    // 'add chain' is idempotent, 'flush chain' then empties it, all in this one transaction.
    t.dynamicSet(SET, List.of("ifname", "ipv4_addr"));
    String vethGlob = config.namePrefix() + "h*";
    JsonNode fromSandbox = eq(meta("iifname"), str(vethGlob));
    JsonNode toSandbox = eq(meta("oifname"), str(vethGlob));
    JsonNode notLeased = ne(concat(meta("iifname"), payload("ip", "saddr")), setRef(SET));

    declare(t, "forward", "filter", "forward", 0);
    declare(t, "from_sandbox", null, null, 0);
    declare(t, "input", "filter", "input", 0);
    declare(t, "sandbox_input", null, null, 0);
    t.rule("forward", fromSandbox, jump("from_sandbox"));
    t.rule("forward", toSandbox, eq(ct("state"), anonSet(str("established"), str("related"))),
        verdict("accept"));
    t.rule("forward", toSandbox, verdict("drop"));
    t.rule("from_sandbox", ne(meta("nfproto"), str("ipv4")), verdict("drop"));
    t.rule("from_sandbox", notLeased, verdict("drop"));
    t.rule("from_sandbox", eq(payload("ip", "daddr"), Nft.prefix(poolBase(config), poolLen(config))),
        verdict("drop"));
    t.rule("from_sandbox", eq(payload("ip", "daddr"), anonSet(Nft.prefix("169.254.0.0", 16),
        Nft.prefix("100.64.0.0", 10), Nft.prefix("127.0.0.0", 8))), verdict("drop"));
    t.rule("input", fromSandbox, jump("sandbox_input"));
    t.rule("sandbox_input", ne(meta("nfproto"), str("ipv4")), verdict("drop"));
    t.rule("sandbox_input", notLeased, verdict("drop"));
    t.rule("sandbox_input", eq(ct("state"), anonSet(str("established"), str("related"))),
        verdict("accept"));
    config.resolver().ifPresent(r -> {
      for (String proto : List.of("udp", "tcp")) {
        t.rule("sandbox_input", eq(payload("ip", "daddr"), str(r)),
            eq(payload(proto, "dport"), num(53)), verdict("accept"));
      }
    });
    // Everything else addressed to the host itself: its services are not the sandbox's to reach.
    t.rule("sandbox_input", verdict("drop"));
    config.uplink().ifPresent(up -> {
      declare(t, "postrouting", "nat", "postrouting", 100);
      t.rule("postrouting", eq(payload("ip", "saddr"), Nft.prefix(poolBase(config),
          poolLen(config))), eq(meta("oifname"), str(up)), Nft.masquerade());
    });
    return t;
  }

  private static void declare(TableModel t, String chain, String type, String hook, int prio) {
    if (hook == null) {
      t.chain(chain);
    } else {
      t.baseChain(chain, type, hook, prio, "accept");
    }
    t.batch.cmd("flush", "chain", Nft.chain(FAMILY, t.name, chain));
  }

  static Nft.Batch element(NetConfig config, String verb, SlotAddresses a) {
    ArrayNode elems = Nft.array();
    elems.add(concat(str(a.hostVeth()), str(Ipv4.format(a.guest()))));
    return new Nft.Batch().cmd(verb, "element",
        Nft.elements(FAMILY, config.hostTable(), SET, elems));
  }

  /** The set's elements as (veth, guest address) pairs, from {@code nft -j list set}. */
  static List<String[]> elements(JsonNode listing) {
    List<String[]> out = new java.util.ArrayList<>();
    for (JsonNode item : listing.path("nftables")) {
      for (JsonNode e : item.path("set").path("elem")) {
        JsonNode c = e.has("elem") ? e.get("elem").get("val") : e;
        JsonNode parts = c.path("concat");
        if (parts.size() == 2) {
          out.add(new String[] {parts.get(0).asText(), parts.get(1).asText()});
        }
      }
    }
    return out;
  }

  private static String poolBase(NetConfig config) {
    return config.pool().substring(0, config.pool().indexOf('/'));
  }

  private static int poolLen(NetConfig config) {
    return Integer.parseInt(config.pool().substring(config.pool().indexOf('/') + 1));
  }
}
