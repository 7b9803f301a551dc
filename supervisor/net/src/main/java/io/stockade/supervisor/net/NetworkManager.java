package io.stockade.supervisor.net;

import java.util.Set;

/**
 * Gives sandboxes their own network and egress firewall, and takes them away again.
 * Fail closed: {@link #attach} returns only after the firewall was installed, read back, checked
 * and probed; otherwise it throws and leaves nothing behind.
 */
public interface NetworkManager {

  /**
   * Builds the sandbox's namespace, TAP (owned by {@code jailUid}/{@code jailGid} so the jailed
   * VMM can open it), veth pair, addresses and egress firewall with its rate limits. A rate limit
   * outside the allowed ranges (docs/network.md) is refused first, with step {@code validate rate
   * limit}.
   */
  SandboxNetwork attach(String sandboxId, int jailUid, int jailGid, EgressSpec egress)
      throws NetworkException;

  /**
   * Atomically replaces a running sandbox's allowlist and rate limits (the spec's {@code rate}
   * replaces the old one; {@code NONE} removes it) and cuts connections it no longer allows. An
   * invalid spec changes nothing.
   */
  void updateEgress(String sandboxId, EgressSpec egress) throws NetworkException;

  /** Removes everything of the sandbox's network. Idempotent. */
  void detach(String sandboxId);

  /** Removes namespaces, links, rules and set elements that belong to no id in {@code liveIds}. */
  void reconcile(Set<String> liveIds);

  /** Bytes and packets the sandbox sent and received, from firewall counters. */
  TrafficCounters counters(String sandboxId);
}
