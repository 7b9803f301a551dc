package io.stockade.supervisor.jail;

import java.util.Optional;

/**
 * Starts workloads inside jails. Every confinement property of the {@link JailSpec} is in force
 * before the workload's first instruction; {@link #launch} returns only once the exec stage has
 * reported success (or throws with the step that failed, having removed everything it built).
 */
public interface JailLauncher {

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
