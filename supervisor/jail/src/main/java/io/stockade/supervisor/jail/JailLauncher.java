package io.stockade.supervisor.jail;

import java.util.Optional;

/**
 * Starts workloads inside jails. Every confinement property of the {@link JailSpec} is in force
 * before the workload's first instruction; {@link #launch} returns only once the exec stage has
 * reported success (or throws with the step that failed, having removed everything it built).
 */
public interface JailLauncher {

  /**
   * Leases the uid (= gid) the sandbox will run as, before {@link #launch}, for host objects that
   * must be owned by it beforehand (a TAP device created with {@code user UID}). Launch uses the
   * reserved uid; {@link #cleanup} releases it. Calling it again returns the same uid.
   */
  default int reserveUid(String sandboxId) throws JailException {
    throw new JailException("reserve_uid", 0, getClass().getSimpleName() + " does not reserve uids ahead of launch");
  }

  /** Builds the jail and execs the workload in it. */
  JailedProcess launch(JailSpec spec) throws JailException;

  /**
   * Finds a jailed workload that survived a supervisor restart. Present only when a process with
   * {@code pid} exists and its start time (field 22 of /proc/PID/stat) equals {@code startTime}.
   */
  Optional<JailedProcess> reattach(String sandboxId, long pid, long startTime);

  /**
   * Removes whatever a jail with this id left on the host (cgroups, jail directory, mounts, uid
   * reservation). Idempotent; used on destroy and when reconciling after a crash.
   */
  void cleanup(String sandboxId);
}
