package io.stockade.supervisor.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.List;
import java.util.Optional;

/**
 * Builds and removes one slot's namespace, links and firewall: each step one command, in an
 * order where a half-built slot is never reachable (the host set element that lets its traffic
 * pass is added only after the sandbox table is in place).
 */
final class Plumbing {
  private final NetConfig config;
  private final Commands cmd;
  private final Optional<java.nio.file.Path> host;

  Plumbing(NetConfig config, Commands cmd) {
    this.config = config;
    this.cmd = cmd;
    this.host = config.hostNetns();
  }

  /**
   * Creates the sandbox namespace and, inside it, turns on forwarding between TAP and veth and
   * turns IPv6 off (before the links exist, so they are born without IPv6 addresses).
   */
  void createNamespace(SlotAddresses a) throws NetworkException {
    String step = "create namespace";
    InNamespace.create(a.netnsPath(), step, () -> {
      InNamespace.writeSysctl(step, "net.ipv4.ip_forward", "1");
      InNamespace.writeSysctl(step, "net.ipv6.conf.all.disable_ipv6", "1");
      InNamespace.writeSysctl(step, "net.ipv6.conf.default.disable_ipv6", "1");
      InNamespace.writeSysctl(step, "net.ipv4.conf.all.rp_filter", "1");
      InNamespace.writeSysctl(step, "net.ipv4.conf.default.rp_filter", "1");
      return null;
    });
  }

  void hostLinks(SlotAddresses a) throws NetworkException {
    String batch = String.join("\n",
        "link add " + a.hostVeth() + " type veth peer name " + SlotAddresses.SANDBOX_VETH
            + " netns " + a.netnsName(),
        "addr add " + Ipv4.format(a.hostVethAddress()) + "/30 dev " + a.hostVeth(),
        "link set " + a.hostVeth() + " up",
        "route add " + Ipv4.format(a.guestNet()) + "/30 via "
            + Ipv4.format(a.sandboxVethAddress()) + " dev " + a.hostVeth() + " onlink",
        "");
    cmd.ip(host, "create host veth", batch, "-batch", "-");
  }

  void sandboxLinks(SlotAddresses a, int uid, int gid) throws NetworkException {
    String up = SlotAddresses.SANDBOX_VETH;
    String tap = SlotAddresses.TAP;
    String batch = String.join("\n",
        "link set lo up",
        "addr add " + Ipv4.format(a.sandboxVethAddress()) + "/30 dev " + up,
        "link set " + up + " up",
        "tuntap add dev " + tap + " mode tap user " + uid + " group " + gid,
        "link set " + tap + " address " + a.gatewayMac(),
        "addr add " + Ipv4.format(a.gateway()) + "/30 dev " + tap,
        "link set " + tap + " up",
        // A permanent neighbour entry: the namespace never believes an ARP reply about the
        // guest's address, and the probe's answer needs no ARP round trip.
        "neigh replace " + Ipv4.format(a.guest()) + " lladdr " + a.guestMac() + " dev " + tap
            + " nud permanent",
        "route add default via " + Ipv4.format(a.hostVethAddress()) + " dev " + up + " onlink",
        "");
    cmd.ip(Optional.of(a.netnsPath()), "create TAP and sandbox links", batch, "-batch", "-");
  }

  void applySandbox(SlotAddresses a, Nft.Batch batch, String step) throws NetworkException {
    nft(Optional.of(a.netnsPath()), step, batch.toJson());
  }

  void applyHost(Nft.Batch batch, String step) throws NetworkException {
    nft(host, step, batch.toJson());
  }

  JsonNode listSandboxTable(SlotAddresses a) throws NetworkException {
    return parse("read back sandbox table", nft(Optional.of(a.netnsPath()),
        "read back sandbox table", "list table inet " + SandboxFirewall.TABLE));
  }

  JsonNode listHostTable() throws NetworkException {
    return parse("read back host table",
        nft(host, "read back host table", "list table inet " + config.hostTable()));
  }

  JsonNode listHostSet() throws NetworkException {
    return parse("read back host set", nft(host, "read back host set",
        "list set inet " + config.hostTable() + " " + HostFirewall.SET));
  }

  /**
   * Reads one element back from the host set (a hash lookup, so the cost does not grow with the
   * number of sandboxes). Names and addresses here are derived from the slot, never from input.
   * nft 1.0.6 prints {@code get} results as text even in JSON mode; a missing element is an error.
   */
  String getHostElement(SlotAddresses a) throws NetworkException {
    return (nft(host, "read back host element",
        "get element inet " + config.hostTable() + " " + HostFirewall.SET + " { \""
            + a.hostVeth() + "\" . " + Ipv4.format(a.guest()) + " }"));
  }

  JsonNode listRuleset() throws NetworkException {
    return parse("read host ruleset", nft(host, "read host ruleset", "list ruleset"));
  }

  /** The sandbox table's named counters tx (accepted egress) and rx (accepted replies). */
  TrafficCounters counters(SlotAddresses a) throws NetworkException {
    long[] v = {-1, -1, -1, -1};
    for (JsonNode item : listCounters(a).path("nftables")) {
      JsonNode c = item.path("counter");
      String name = c.path("name").asText();
      int i = name.equals("tx") ? 0 : name.equals("rx") ? 2 : -1;
      if (i >= 0) {
        v[i] = c.path("bytes").asLong();
        v[i + 1] = c.path("packets").asLong();
      }
    }
    return new TrafficCounters(v[0], v[1], v[2], v[3]);
  }

  JsonNode listCounters(SlotAddresses a) throws NetworkException {
    return parse("read counters", nft(Optional.of(a.netnsPath()), "read counters",
        "list counters table inet " + SandboxFirewall.TABLE));
  }

  /** The TAP, opened and handed to the jail, and the sandbox table as read back. */
  record Activated(TapProbe probe, JsonNode table) {}

  /**
   * All sandbox-side work of an attach in one visit to its namespace: open the TAP and give it to
   * uid/gid, apply the allowlist batch and read the table back.
   */
  Activated activate(SlotAddresses a, int uid, int gid, Nft.Batch batch) throws NetworkException {
    String step = "install sandbox allowlist";
    return InNamespace.run(Optional.of(a.netnsPath()), step, () -> {
      TapProbe probe = TapProbe.openHere(a);
      try {
        probe.setOwner(uid, gid);
        String listing = nftHere(step, batch.toJson(), "list table inet " + SandboxFirewall.TABLE);
        return new Activated(probe, parse("read back sandbox table", listing));
      } catch (NetworkException | RuntimeException e) {
        probe.close();
        throw e;
      }
    });
  }

  /**
   * Runs nft inputs in order (output of the last is returned) in the calling thread's namespace:
   * in-process through libnftables when it loads, else through the nft binary (a child process
   * inherits the calling thread's network namespace).
   */
  private String nftHere(String step, String... inputs) throws NetworkException {
    if (!LibNftables.available()) {
      String out = "";
      for (String input : inputs) {
        out = cmd.nft(Optional.empty(), step, input, "-j", "-f", "-");
      }
      return out;
    }
    LibNftables.Context ctx = LibNftables.open();
    if (ctx == null) {
      throw new NetworkException(step, step + ": cannot create a libnftables context");
    }
    try (ctx) {
      String out = "";
      for (String input : inputs) {
        out = check(step, input, ctx.run(input));
      }
      return out;
    }
  }

  private static String check(String step, String input, LibNftables.Result r)
      throws NetworkException {
    if (r.status() != 0) {
      throw new NetworkException(step, step + ": nft failed: " + r.error().strip() + " (input: "
          + (input.length() > 600 ? input.substring(0, 600) + "..." : input) + ")");
    }
    return r.output();
  }

  private LibNftables.Context hostContext;

  /**
   * Runs nft input in a namespace. The host namespace's libnftables context is opened once and
   * kept (its socket stays in the host namespace, so no thread has to enter it again); sandbox
   * namespaces get a context per visit.
   */
  private String nft(Optional<java.nio.file.Path> netns, String step, String input)
      throws NetworkException {
    if (netns.equals(host) && LibNftables.available()) {
      LibNftables.Context ctx;
      synchronized (this) {
        if (hostContext == null) {
          hostContext = InNamespace.run(host, step, LibNftables::open);
        }
        ctx = hostContext;
      }
      if (ctx != null) {
        return check(step, input, ctx.run(input));
      }
    }
    return InNamespace.run(netns, step, () -> nftHere(step, input));
  }

  synchronized void close() {
    if (hostContext != null) {
      hostContext.close();
      hostContext = null;
    }
  }

  /**
   * Removes everything of a slot; every step runs even when an earlier one fails (most failures
   * here mean "already gone"). The host element goes first so the slot's traffic is dropped at once.
   */
  void teardown(SlotAddresses a) {
    quietly(() -> applyHost(HostFirewall.element(config, "delete", a), "remove host element"));
    quietly(() -> cmd.ip(host, "remove host veth", null, "link", "del", a.hostVeth()));
    // A process sandbox's workload namespace (absent for a VM's slot: then this is a no-op).
    InNamespace.delete(a.workloadNetnsPath());
    InNamespace.delete(a.netnsPath());
    quietly(() -> cmd.conntrack(host, "remove host conntrack entries", "-D", "-s",
        Ipv4.format(a.guest())));
  }

  interface Step {
    void run() throws NetworkException;
  }

  private static void quietly(Step step) {
    try {
      step.run();
    } catch (NetworkException e) {
      // expected when the object is already gone; reconcile catches what really stays behind
    }
  }

  /** Names of links in the host namespace. */
  List<String> hostLinkNames() throws NetworkException {
    JsonNode links = parse("list host links", cmd.ip(host, "list host links", null, "-j", "link",
        "show"));
    List<String> names = new java.util.ArrayList<>();
    links.forEach(l -> names.add(l.path("ifname").asText()));
    return names;
  }

  private static JsonNode parse(String step, String json) throws NetworkException {
    try {
      return Nft.JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new NetworkException(step, step + ": cannot parse output as JSON: " + e.getMessage()
          + ": " + json.substring(0, Math.min(200, json.length())), e);
    }
  }
}
