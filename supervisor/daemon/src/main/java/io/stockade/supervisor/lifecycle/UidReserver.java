package io.stockade.supervisor.lifecycle;

/**
 * Leases the uid a sandbox's workload will run as before it is launched, so host objects it must
 * own (its TAP device) can be created for it. The jail launcher is the authority
 * ({@code JailLauncher.reserveUid}); its cleanup releases the lease.
 */
@FunctionalInterface
public interface UidReserver {
  int reserve(String sandboxId) throws Exception;
}
