package io.stockade.supervisor.lifecycle;

import java.util.Map;

/**
 * The durable form of one sandbox: what the supervisor needs after a restart to reattach to its
 * workload (driver state: pid, start time, sockets) or to clean up after it. Written as
 * {@code STATE_DIR/sandboxes/ID.json}; see docs/daemon.md "Durable state".
 *
 * @param jailUid the uid the workload runs as (the network's TAP is owned by it)
 */
public record PersistedSandbox(
    int version,
    String id,
    Owner owner,
    SandboxSpec spec,
    SandboxState state,
    String reason,
    String createdAt,
    String startedAt,
    String stoppedAt,
    Map<String, String> driverState,
    NetworkRecord network,
    ExitInfo exit,
    int jailUid,
    String restoredFrom) {

  public static final int VERSION = 1;

  public PersistedSandbox {
    driverState = driverState == null ? Map.of() : Map.copyOf(driverState);
  }

  /** The guest side of the sandbox's network, as shown to its owner. */
  public record NetworkRecord(String guestAddress, String gateway, String mac, int slot) {}
}
