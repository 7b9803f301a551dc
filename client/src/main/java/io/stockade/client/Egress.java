package io.stockade.client;

import java.util.Objects;

/**
 * One destination a sandbox may reach (the protocol's twin of the policy module's {@code
 * EgressRule}; the client does not depend on policy). The server checks the address syntax and the
 * policy; this record checks only what is wrong in any context.
 *
 * @param cidr an IPv4 or IPv6 network, no host bits set ({@code 10.0.0.0/8})
 * @param protocol {@code tcp}, {@code udp} or {@code icmp}
 * @param portFrom first port (1..65535), 0 for icmp
 * @param portTo last port (>= portFrom), 0 for icmp
 */
public record Egress(String cidr, String protocol, int portFrom, int portTo) {
  public Egress {
    Objects.requireNonNull(cidr, "cidr");
    Objects.requireNonNull(protocol, "protocol");
    if (!protocol.equals("tcp") && !protocol.equals("udp") && !protocol.equals("icmp")) {
      throw new IllegalArgumentException("egress protocol '" + protocol + "': expected tcp, udp or icmp");
    }
    if (protocol.equals("icmp")) {
      if (portFrom != 0 || portTo != 0) {
        throw new IllegalArgumentException("icmp egress has no ports: set portFrom and portTo to 0");
      }
    } else if (portFrom < 1 || portTo > 65535 || portTo < portFrom) {
      throw new IllegalArgumentException(
          "egress ports " + portFrom + "-" + portTo + ": expected 1 <= portFrom <= portTo <= 65535");
    }
  }

  /** Parses the CLI form {@code CIDR[:PROTO[:PORT[-PORT]]]}, e.g. {@code 10.0.0.0/8:tcp:443}. */
  public static Egress parse(String text) {
    String rest = text;
    String cidr;
    int slash = rest.indexOf('/');
    int colonAfterPrefix = slash < 0 ? -1 : rest.indexOf(':', slash);
    if (colonAfterPrefix < 0) {
      cidr = rest;
      rest = "";
    } else {
      cidr = rest.substring(0, colonAfterPrefix);
      rest = rest.substring(colonAfterPrefix + 1);
    }
    if (slash < 0) {
      throw new IllegalArgumentException(
          "egress '" + text + "': expected CIDR[:tcp|udp|icmp[:PORT[-PORT]]], e.g. 10.0.0.0/8:tcp:443");
    }
    String[] parts = rest.isEmpty() ? new String[0] : rest.split(":", -1);
    String protocol = parts.length > 0 ? parts[0] : "tcp";
    if (protocol.equals("icmp")) {
      return new Egress(cidr, protocol, 0, 0);
    }
    int from = 1;
    int to = 65535;
    if (parts.length > 1) {
      String ports = parts[1];
      int dash = ports.indexOf('-');
      try {
        from = Integer.parseInt(dash < 0 ? ports : ports.substring(0, dash));
        to = dash < 0 ? from : Integer.parseInt(ports.substring(dash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("egress '" + text + "': port '" + ports + "' is not a number or range");
      }
    }
    if (parts.length > 2) {
      throw new IllegalArgumentException("egress '" + text + "': too many ':' parts");
    }
    return new Egress(cidr, protocol, from, to);
  }

  /** The CLI form, the inverse of {@link #parse}. */
  @Override
  public String toString() {
    if (protocol.equals("icmp")) {
      return cidr + ":icmp";
    }
    return cidr + ":" + protocol + ":" + (portFrom == portTo ? portFrom : portFrom + "-" + portTo);
  }
}
