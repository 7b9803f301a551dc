package io.stockade.supervisor.net;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * After a narrowing, deletes the sandbox namespace's conntrack entries that the new allowlist no
 * longer permits, so replies on those connections stop too (the guest's own packets are already
 * refused: the egress chain checks every packet, not only new connections).
 */
final class ConntrackCutter {
  private static final Pattern ENTRY = Pattern.compile(
      "^(tcp|udp|icmp)\\s.*?src=(\\S+) dst=(\\S+)(?: sport=(\\d+) dport=(\\d+))?");

  private final Commands cmd;
  private final NetConfig config;

  ConntrackCutter(Commands cmd, NetConfig config) {
    this.cmd = cmd;
    this.config = config;
  }

  void cut(SlotAddresses a, Allowlist allow) throws NetworkException {
    Optional<java.nio.file.Path> ns = Optional.of(a.netnsPath());
    String listing = cmd.conntrack(ns, "list conntrack entries", "-L", "-f", "ipv4");
    List<Ipv4.Range> blocked = SandboxFirewall.alwaysBlocked(config);
    long resolver = config.resolver().map(Ipv4::parse).orElse(-1L);
    for (String line : listing.split("\n")) {
      Matcher m = ENTRY.matcher(line);
      if (!m.find()) {
        continue;
      }
      String proto = m.group(1);
      long src = Ipv4.parse(m.group(2));
      long dst = Ipv4.parse(m.group(3));
      int dport = m.group(5) == null ? 0 : Integer.parseInt(m.group(5));
      if (src != a.guest() || allow.allows(proto, dst, dport, blocked, resolver)) {
        continue;
      }
      if (m.group(4) == null) {
        runDelete(ns, "-p", proto, "-s", m.group(2), "-d", m.group(3));
      } else {
        runDelete(ns, "-p", proto, "-s", m.group(2), "-d", m.group(3), "--sport", m.group(4),
            "--dport", m.group(5));
      }
    }
  }

  private void runDelete(Optional<java.nio.file.Path> ns, String... match)
      throws NetworkException {
    String[] args = new String[match.length + 1];
    args[0] = "-D";
    System.arraycopy(match, 0, args, 1, match.length);
    // Exit 1 means the entry expired meanwhile: nothing left to cut.
    cmd.run(ns, config.conntrack(), null, args);
  }
}
