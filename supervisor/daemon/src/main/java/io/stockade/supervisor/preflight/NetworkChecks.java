package io.stockade.supervisor.preflight;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * nftables, /dev/net/tun, IPv4 forwarding and foreign forward-drop chains, all read-only. When a
 * host network namespace is configured, the nft and sysctl reads run inside it (nsenter), since
 * that is where sandbox traffic is routed.
 */
final class NetworkChecks {
  private static final ObjectMapper JSON = new ObjectMapper();

  private NetworkChecks() {}

  static List<CheckResult> check(HostRoot host, Optional<Path> netns) {
    List<CheckResult> results = new ArrayList<>();
    if (netns.isPresent() && !Files.exists(netns.get())) {
      results.add(
          CheckResult.fail(
              "net.netns",
              "configured host network namespace " + netns.get() + " missing",
              "create it (`ip netns add " + netns.get().getFileName() + "`) or clear hostNetns in"
                  + " /etc/stockade/stockade.json"));
      return results;
    }
    netns.ifPresent(n -> results.add(CheckResult.ok("net.netns", "host network namespace " + n)));
    boolean nftWorks = nft(results, netns);
    results.add(tun(host.resolve("/dev/net/tun")));
    results.add(forwarding(netns));
    if (nftWorks) {
      results.add(forwardDrop(netns));
    }
    return results;
  }

  private static boolean nft(List<CheckResult> results, Optional<Path> netns) {
    Commands.Result version = Commands.run(Commands.DEFAULT_TIMEOUT, List.of("nft", "--version"));
    if (!version.ok()) {
      results.add(
          CheckResult.fail(
              "net.nft",
              "nft --version: " + version.describeFailure(),
              "apt-get install nftables (egress rules for sandboxes with network)"));
      return false;
    }
    Commands.Result tables = Commands.runInNetns(netns, List.of("nft", "list", "tables"));
    if (!tables.ok()) {
      results.add(
          CheckResult.fail(
              "net.nft",
              version.firstLine() + "; `nft list tables` " + tables.describeFailure(),
              "nft needs CAP_NET_ADMIN and the nf_tables module (`modprobe nf_tables`)"));
      return false;
    }
    long count = tables.output().lines().filter(l -> l.startsWith("table ")).count();
    results.add(CheckResult.ok("net.nft", version.firstLine() + "; `nft list tables` ok (" + count + " tables)"));
    return true;
  }

  static CheckResult tun(Path tun) {
    PosixFileAttributes attrs;
    try {
      attrs = Files.readAttributes(tun, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      return CheckResult.fail(
          "net.tun",
          tun + " missing (ENOENT)",
          "`modprobe tun` (and add tun to /etc/modules-load.d/); sandboxes with network need TAP");
    }
    String described = KvmDeviceCheck.describe(tun, attrs);
    if (!described.endsWith(" 10:200")) {
      return CheckResult.fail(
          "net.tun",
          described + ": not the TUN/TAP device (char 10:200)",
          "remove it and `modprobe tun`, which creates the real node");
    }
    int fd = Libc.openReadWrite(tun.toString());
    if (fd < 0) {
      return CheckResult.fail(
          "net.tun",
          described + ": open failed (" + Libc.errnoName(-fd) + ")",
          "`modprobe tun`; the supervisor needs read-write access (root, or CAP_NET_ADMIN with a"
              + " 0666 node)");
    }
    Libc.close(fd);
    return CheckResult.ok("net.tun", described + ", opens read-write");
  }

  private static CheckResult forwarding(Optional<Path> netns) {
    Commands.Result r = Commands.runInNetns(netns, List.of("cat", "/proc/sys/net/ipv4/ip_forward"));
    String where = netns.map(n -> " in " + n).orElse(" in the host network namespace");
    if (!r.ok()) {
      return CheckResult.warn("net.ip_forward", "net.ipv4.ip_forward unreadable" + where + ": " + r.describeFailure(), "check /proc is mounted");
    }
    String value = r.output().trim();
    if (value.equals("1")) {
      return CheckResult.ok("net.ip_forward", "net.ipv4.ip_forward=1" + where);
    }
    String sysctl = "sysctl -w net.ipv4.ip_forward=1";
    String exec = netns.map(n -> "nsenter --net=" + n + " " + sysctl).orElse(sysctl);
    return CheckResult.warn(
        "net.ip_forward",
        "net.ipv4.ip_forward=" + value + where + ": sandbox traffic is not routed beyond this host",
        "`" + exec + "`, persisted in /etc/sysctl.d/stockade.conf (preflight never changes it)");
  }

  private static CheckResult forwardDrop(Optional<Path> netns) {
    Commands.Result r = Commands.runInNetns(netns, List.of("nft", "-j", "list", "ruleset"));
    if (!r.ok()) {
      return CheckResult.warn("net.forward_drop", "`nft -j list ruleset` " + r.describeFailure(), "check nft by hand");
    }
    List<String> drops;
    try {
      drops = forwardDropChains(r.output());
    } catch (IOException e) {
      return CheckResult.warn("net.forward_drop", "`nft -j list ruleset` output unreadable: " + e.getMessage(), "check nft by hand");
    }
    if (drops.isEmpty()) {
      return CheckResult.ok("net.forward_drop", "no forward-hook chain with policy drop");
    }
    return CheckResult.warn(
        "net.forward_drop",
        "forward-hook chain with policy drop: " + String.join(", ", drops)
            + " (e.g. a container engine's FORWARD DROP): it silently drops forwarded sandbox"
            + " traffic unless it accepts it itself, whatever Stockade's own table says",
        "accept the sandbox interfaces in that chain, e.g. `nft insert rule <family> <table>"
            + " <chain> iifname \"<sandbox if>\" accept` and the same with oifname; with Docker use"
            + " its DOCKER-USER chain (`iptables -I DOCKER-USER -i <sandbox if> -j ACCEPT`)");
  }

  /** "family table chain" of every base chain on the forward hook whose policy is drop. */
  static List<String> forwardDropChains(String rulesetJson) throws IOException {
    List<String> drops = new ArrayList<>();
    JsonNode items = JSON.readTree(rulesetJson).path("nftables");
    for (JsonNode item : items) {
      JsonNode chain = item.path("chain");
      if (chain.path("hook").asText().equals("forward") && chain.path("policy").asText().equals("drop")) {
        drops.add(chain.path("family").asText() + " " + chain.path("table").asText() + " " + chain.path("name").asText());
      }
    }
    return drops;
  }
}
