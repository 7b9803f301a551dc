package io.stockade.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.stockade.client.SandboxInfo;
import io.stockade.client.SandboxState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The daemon itself stopped and crashed under running guests: a SIGTERM drains them gracefully,
 * a SIGKILL leaves them running for the next daemon to reattach. Scenarios 5 and 7 of
 * docs/testing.md.
 */
class DaemonRestartE2eTest {
  private static final Pattern TICK = Pattern.compile("STK-E2-TICK (\\d+)");
  private static StockadeSystem system;

  @BeforeAll
  static void startSystem() throws Exception {
    Prerequisites.assumeQemu();
    Prerequisites.assumeSlowTests();
    system = StockadeSystem.start(1, 4);
  }

  @AfterAll
  static void stopSystem() {
    if (system != null) {
      system.close();
    }
  }

  private static void ensureDaemon() throws Exception {
    if (!system.daemon.isAlive()) {
      system.daemon.start();
    }
  }

  /** Scenario 5: SIGTERM with three guests running stops each gracefully, within the drain budget. */
  @Test
  void sigtermDrainsEveryGuestGracefully() throws Exception {
    ensureDaemon();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(system.createGuest(0, "drain" + i, "echo STK-E2-ALIVE; exec sleep 100000"));
    }
    // Three TCG boots at once: the daemon starts them in parallel, the machine has the cores.
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<?>> starts = new ArrayList<>();
      for (String id : ids) {
        starts.add(pool.submit(() -> system.startAs(0, id)));
      }
      for (Future<?> f : starts) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    for (String id : ids) {
      system.awaitConsole(id, "STK-E2-ALIVE", Duration.ofSeconds(30));
    }
    List<ProcessHandle> vmms = new ArrayList<>();
    ids.forEach(id -> vmms.addAll(HostTraces.qemuOf(id)));
    assertThat(vmms).hasSize(3);
    vmms.forEach(system.daemon::remember);

    // Watched from before the SIGTERM: what the guests print while the daemon drains them.
    List<ConsoleFileWatcher> consoles = new ArrayList<>();
    for (String id : ids) {
      consoles.add(ConsoleFileWatcher.find(system.daemon.jailsDir.resolve(id), "STK-E2-ALIVE"));
    }
    long t0 = System.nanoTime();
    system.daemon.sigterm();
    int status = system.daemon.waitExit(Duration.ofSeconds(SupervisorProcess.DRAIN_SECONDS + 15));
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    assertThat(status).as("daemon exit status after SIGTERM (took %s); log:\n%s", took, system.daemon.logTail(40))
        .isZero();
    assertThat(took).isLessThan(Duration.ofSeconds(SupervisorProcess.DRAIN_SECONDS));
    assertThat(vmms).as("qemu processes after the drain").noneMatch(ProcessHandle::isAlive);
    // These guests have no network: whatever namespace still hangs off our host namespace is the
    // network manager's (spare slots), which a clean exit must take down.
    assertThat(system.sandboxNamespaces()).as("network namespaces left after a clean exit").isEmpty();
    for (int i = 0; i < ids.size(); i++) {
      assertThat(consoles.get(i).stop()).as("console of %s (%s) during the drain", ids.get(i), consoles.get(i).file())
          .contains("STOCKADE-POWEROFF");
    }

    // What each guest went through, as the next daemon reads it from the durable state.
    system.daemon.start();
    for (String id : ids) {
      SandboxInfo s = system.get(id);
      assertThat(s.state()).as("%s after the drain: %s", id, s.reason()).isEqualTo(SandboxState.STOPPED);
      assertThat(s.reason()).as("stop reason of %s", id).matches(StockadeSystem.GRACEFUL_REASON);
    }
    for (String id : ids) {
      system.cli(0).json("destroy", id);
    }
  }

  /** Scenario 7: SIGKILL the daemon under a running guest; the next one reattaches to the same VMM. */
  @Test
  void killedDaemonReattachesToItsRunningGuest() throws Exception {
    ensureDaemon();
    String id = system.createGuest(0, "survivor",
        "i=0; while true; do i=$((i+1)); echo STK-E2-TICK $i; sleep 1; done");
    system.startAs(0, id);
    system.awaitConsole(id, "STK-E2-TICK 2", Duration.ofSeconds(30));
    List<ProcessHandle> qemu = HostTraces.qemuOf(id);
    assertThat(qemu).hasSize(1);
    ProcessHandle vmm = qemu.get(0);
    system.daemon.remember(vmm);
    Optional<Instant> startedAt = vmm.info().startInstant();

    system.daemon.sigkill();
    int lastTick = lastTick(system.daemon.log() + "\n"); // nothing: the daemon is gone
    SupervisorProcess.sleep(2000);
    assertThat(vmm.isAlive()).as("the guest outlives its daemon").isTrue();

    system.daemon.start();
    SandboxInfo s = system.get(id);
    assertThat(s.state()).as("after restart: %s", s.reason()).isEqualTo(SandboxState.RUNNING);
    assertThat(HostTraces.qemuOf(id)).as("the same VMM process").containsExactly(vmm);
    assertThat(vmm.info().startInstant()).isEqualTo(startedAt);
    lastTick = Math.max(lastTick, lastTick(system.logs(id)));
    int before = lastTick;
    system.awaitSandbox(id, Duration.ofSeconds(30), "showing new console output",
        x -> lastTick(system.logsQuietly(id)) > before);

    system.cli(0).json("stop", id);
    SandboxInfo stopped = system.awaitState(id, SandboxState.STOPPED, Duration.ofSeconds(60));
    assertThat(stopped.reason()).matches(StockadeSystem.GRACEFUL_REASON);
    system.cli(0).json("destroy", id);
    assertThat(vmm.isAlive()).isFalse();
  }

  private static int lastTick(String console) {
    int last = 0;
    Matcher m = TICK.matcher(console);
    while (m.find()) {
      last = Math.max(last, Integer.parseInt(m.group(1)));
    }
    return last;
  }
}
