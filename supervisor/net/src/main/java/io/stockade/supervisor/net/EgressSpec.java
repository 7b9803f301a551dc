package io.stockade.supervisor.net;

import io.stockade.policy.EgressRule;
import java.util.List;

/**
 * What a sandbox may reach: already the intersection of what its request asked for and what its
 * policy permits (the daemon refuses a request that asks for more before calling the network).
 *
 * @param rules allowed destinations; empty means no egress at all
 * @param dnsNames host names the guest may resolve and reach (enforcement is documented in
 *     docs/network.md)
 * @param rateBytesPerSecond egress rate limit, 0 = none
 */
public record EgressSpec(List<EgressRule> rules, List<String> dnsNames, long rateBytesPerSecond) {
  public static final EgressSpec NONE = new EgressSpec(List.of(), List.of(), 0);

  public EgressSpec {
    rules = List.copyOf(rules);
    dnsNames = List.copyOf(dnsNames);
  }
}
