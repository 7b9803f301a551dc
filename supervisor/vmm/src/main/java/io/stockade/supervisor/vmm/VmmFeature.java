package io.stockade.supervisor.vmm;

/** Optional lifecycle operations; a driver lists those its VMM supports. */
public enum VmmFeature {
  PAUSE,
  SNAPSHOT,
  GRACEFUL_SHUTDOWN,
  /** {@link VmInstance#writeConsole} reaches the guest's serial console. */
  CONSOLE_INPUT
}
