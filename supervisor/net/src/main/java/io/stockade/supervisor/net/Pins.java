package io.stockade.supervisor.net;

import io.stockade.policy.EgressRule;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Resolve-and-pin for {@link EgressSpec#dnsNames()}: the supervisor resolves each name and allows
 * the IPv4 addresses it got. An entry is {@code name} (tcp 80 and 443) or {@code name:port}. The
 * guest resolves through the configured resolver on its own; it reaches only what the supervisor
 * resolved, so a name whose answer differs per client (CDNs, round robin) may be reachable only
 * at some of its addresses. Refreshed every {@link NetConfig#dnsRefresh()}.
 */
final class Pins {
  private Pins() {}

  static List<EgressRule> resolve(List<String> names) throws NetworkException {
    List<EgressRule> rules = new ArrayList<>();
    for (String entry : names) {
      String name = entry;
      List<Integer> ports = List.of(80, 443);
      int colon = entry.lastIndexOf(':');
      if (colon > 0) {
        name = entry.substring(0, colon);
        try {
          int port = Integer.parseInt(entry.substring(colon + 1));
          if (port < 1 || port > 65535) {
            throw new NumberFormatException();
          }
          ports = List.of(port);
        } catch (NumberFormatException e) {
          throw new NetworkException("validate egress", "DNS name entry '" + entry
              + "' has no valid port after ':'; write name or name:port (1-65535)");
        }
      }
      if (!name.matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})")) {
        throw new NetworkException("validate egress", "DNS name '" + name
            + "' is not a host name (letters, digits, '-', '.')");
      }
      for (String addr : addresses(name)) {
        for (int port : ports) {
          rules.add(new EgressRule(addr + "/32", "tcp", port, port));
        }
      }
    }
    return rules;
  }

  /** The name's IPv4 addresses, sorted (so an unchanged answer yields an unchanged set). */
  static TreeSet<String> addresses(String name) {
    TreeSet<String> out = new TreeSet<>();
    try {
      for (InetAddress a : InetAddress.getAllByName(name)) {
        if (a instanceof Inet4Address) {
          out.add(a.getHostAddress());
        }
      }
    } catch (UnknownHostException e) {
      // a name that does not resolve now allows nothing; the next refresh tries again
    }
    return out;
  }
}
