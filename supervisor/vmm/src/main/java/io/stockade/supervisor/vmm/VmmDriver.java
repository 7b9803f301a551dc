package io.stockade.supervisor.vmm;

import java.util.Optional;
import java.util.Set;

/**
 * Runs one kind of VMM (or a plain process) inside a jail. The daemon's lifecycle calls it; the
 * driver builds the jail spec, the VMM's command line and talks to the VMM's control socket.
 */
public interface VmmDriver {

  VmmKind kind();

  Set<VmmFeature> features();

  /** The VMM's version, or empty when its binary is not installed on this host. */
  Optional<String> version();

  /**
   * Launches the workload in its jail and returns once it is ready (the image's readiness line
   * seen on the console, or the process running for the process kind). On failure nothing of the
   * launch stays behind and the exception carries the console tail.
   */
  VmInstance launch(LaunchSpec spec) throws VmmException;

  /**
   * Reconnects to a workload that survived a supervisor restart, from what {@link
   * VmInstance#persistentState()} returned. Empty when it is no longer there (pid and start time
   * must both match).
   */
  Optional<VmInstance> reattach(String sandboxId, java.util.Map<String, String> persistentState);

  /** Removes whatever a launch of this sandbox left on the host. Idempotent. */
  void cleanup(String sandboxId);
}
