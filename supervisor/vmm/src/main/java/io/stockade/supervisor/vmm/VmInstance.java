package io.stockade.supervisor.vmm;

import io.stockade.supervisor.jail.JailedProcess;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A launched workload. Graceful stop is driven by the daemon: {@link #requestShutdown()}, wait,
 * {@code process().signal(SIGTERM)}, wait, {@code process().killAll()}.
 */
public interface VmInstance {

  String sandboxId();

  VmmKind kind();

  /** The jailed VMM (or program) process. */
  JailedProcess process();

  /**
   * Asks the guest to power off (ACPI power button, Ctrl-Alt-Del, QMP system_powerdown). For the
   * process kind, sends SIGTERM. Returns at once; {@link #onExit()} tells when it worked.
   */
  void requestShutdown() throws VmmException;

  void pause() throws VmmException;

  void resume() throws VmmException;

  /** Writes a snapshot the driver can restore from into {@code directory} (which exists, empty). */
  void snapshot(Path directory) throws VmmException;

  /** Completes with the VMM's exit status when it exits, however that happens. */
  CompletableFuture<Integer> onExit();

  /** Whether the guest itself asked to power off (rather than crashing or being killed). */
  boolean guestRequestedShutdown();

  /** What {@link VmmDriver#reattach} needs after a restart: pid, start time, socket paths. */
  Map<String, String> persistentState();
}
