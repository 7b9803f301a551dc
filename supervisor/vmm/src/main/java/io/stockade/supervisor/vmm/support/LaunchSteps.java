package io.stockade.supervisor.vmm.support;

import io.stockade.supervisor.jail.JailLauncher;
import io.stockade.supervisor.jail.JailedProcess;
import io.stockade.supervisor.vmm.VmmException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Steps every VM driver's launch shares: waiting for the readiness line, abandoning a launch. */
public final class LaunchSteps {
  private LaunchSteps() {}

  /** Waits for {@code readyLine} in {@code console}; throws naming what went wrong. */
  public static void awaitReady(String sandboxId, String vmm, Path console, String readyLine, Duration timeout,
      CompletableFuture<Integer> exit) throws VmmException {
    ConsoleLog.Outcome outcome;
    try {
      outcome = ConsoleLog.of(console).awaitLine(readyLine, timeout, exit);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VmmException("launch " + sandboxId + ": interrupted while waiting for the guest", e);
    }
    if (outcome == ConsoleLog.Outcome.PROCESS_EXITED) {
      throw new VmmException("launch " + sandboxId + ": " + vmm + " exited with status " + exit.getNow(-1)
          + " before the guest printed '" + readyLine + "'");
    }
    if (outcome == ConsoleLog.Outcome.TIMED_OUT) {
      throw new VmmException("launch " + sandboxId + ": the guest did not print '" + readyLine + "' within " + timeout
          + " (a hung boot: check the kernel command line and the console below)");
    }
  }

  /** Kills what a failed launch started (the whole cgroup) and removes its jail; bounded. */
  public static void abandon(JailLauncher jail, JailedProcess process) {
    process.killAll();
    try {
      process.onExit().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Still there after cgroup.kill and 10 s: jail.cleanup reports what it cannot remove.
    }
    jail.cleanup(process.sandboxId());
  }
}
