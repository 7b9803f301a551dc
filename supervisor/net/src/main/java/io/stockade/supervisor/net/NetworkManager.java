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
   * The same network and firewall for a process sandbox (a jailed program, no VM): the program
   * runs in a workload namespace nested behind the sandbox namespace, whose {@code eth0} takes
   * the guest's place on the link, so its packets pass the firewall exactly as a VM's would. The
   * returned {@link SandboxNetwork#netnsPath()} is that workload namespace. Fail closed as
   * {@link #attach}, plus a read-back and a refused connect from inside the workload namespace.
   */
  default SandboxNetwork attachProcess(String sandboxId, int jailUid, int jailGid,
      EgressSpec egress) throws NetworkException {
    throw new NetworkException("attach process network", "sandbox " + sandboxId + ": this"
        + " network (" + getClass().getSimpleName() + ") cannot serve process sandboxes: configure"
        + " the Linux network manager, or create the sandbox without a network");
  }

  /**
   * Atomically replaces a running sandbox's allowlist and rate limits (the spec's {@code rate}
   * replaces the old one; {@code NONE} removes it) and cuts connections it no longer allows. An
   * invalid spec changes nothing.
   */
  void updateEgress(String sandboxId, EgressSpec egress) throws NetworkException;

  /** Removes everything of the sandbox's network (a process's workload namespace too). Idempotent. */
  void detach(String sandboxId);

  /** Removes namespaces, links, rules and set elements that belong to no id in {@code liveIds}. */
  void reconcile(Set<String> liveIds);

  /** Bytes and packets the sandbox sent and received, from firewall counters. */
  TrafficCounters counters(String sandboxId);
}
