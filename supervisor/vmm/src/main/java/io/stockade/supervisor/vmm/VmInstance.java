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

  /**
   * Host path of the file that records the guest's console (serial output). For VMs this is a
   * log the VMM itself writes, so it keeps growing while no supervisor is attached; for the
   * process kind it is the jail's console file.
   */
  default Path consoleLog() {
    return process().consoleFile();
  }

  /**
   * Types {@code bytes} into the guest's console (its serial port's input). Drivers whose VMM
   * offers no console input throw {@link VmmException#unsupported()}.
   */
  default void writeConsole(byte[] bytes) throws VmmException {
    throw VmmException.unsupported(kind(), "console input");
  }

  /** What {@link VmmDriver#reattach} needs after a restart: pid, start time, socket paths. */
  Map<String, String> persistentState();
}
