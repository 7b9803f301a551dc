package io.stockade.supervisor.net;

import io.stockade.policy.EgressRule;
import io.stockade.policy.RateLimit;
import java.util.List;

/**
 * What a sandbox may reach: already the intersection of what its request asked for and what its
 * policy permits (the daemon refuses a request that asks for more before calling the network).
 *
 * @param rules allowed destinations; empty means no egress at all
 * @param dnsNames host names the guest may resolve and reach (enforcement is documented in
 *     docs/network.md)
 * @param rate limits on the sandbox's traffic, each direction on its own (bytes/s and packets/s;
 *     {@link RateLimit#NONE} for none); a non-zero field must lie in 1500..4294967295 bytes/s and
 *     10..10000000 packets/s (see docs/network.md, "Rate limits")
 */
public record EgressSpec(List<EgressRule> rules, List<String> dnsNames, RateLimit rate) {
  public static final EgressSpec NONE = new EgressSpec(List.of(), List.of());

  public EgressSpec {
    rules = List.copyOf(rules);
    dnsNames = List.copyOf(dnsNames);
    java.util.Objects.requireNonNull(rate, "rate");
  }

  /** Destinations without rate limits. */
  public EgressSpec(List<EgressRule> rules, List<String> dnsNames) {
    this(rules, dnsNames, RateLimit.NONE);
  }
}
