package io.stockade.policy;

import java.util.Objects;

/**
 * One allowed egress destination: an address range, a transport protocol and a port range.
 *
 * <p>Shared vocabulary of policy (what a subject may request), the protocol (what a request asks
 * for) and the network module (what the firewall installs). A request is allowed only when every
 * rule it asks for is contained in some rule the policy permits.
 *
 * @param cidr an IPv4 or IPv6 network in canonical form, no host bits set ({@code 10.0.0.0/8})
 * @param protocol {@code tcp}, {@code udp} or {@code icmp}
 * @param portFrom first port (1..65535), 0 for icmp
 * @param portTo last port (>= portFrom), 0 for icmp
 */
public record EgressRule(String cidr, String protocol, int portFrom, int portTo) {
  public EgressRule {
    Objects.requireNonNull(cidr, "cidr");
    Objects.requireNonNull(protocol, "protocol");
  }
}
