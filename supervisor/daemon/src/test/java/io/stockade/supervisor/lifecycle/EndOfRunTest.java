package io.stockade.supervisor.lifecycle;

import static io.stockade.supervisor.testing.Fixtures.NOBODY;
import static io.stockade.supervisor.testing.Fixtures.ROOT;
import static io.stockade.supervisor.testing.Fixtures.process;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stockade.policy.Authorizer;
import io.stockade.supervisor.testing.AnyImageForTests;
import io.stockade.supervisor.testing.Fixtures;
import io.stockade.supervisor.testing.NoNetworkForTests;
import io.stockade.supervisor.testing.UnconfinedProcessDriverFake;
import io.stockade.supervisor.vmm.VmmKind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How a run ends is recorded truthfully (guest power-off vs shutdown on request), and the console
 * of an ended sandbox stays readable until Destroy, also after a supervisor restart. The "VM" here
 * is the fake driver registered as qemu: its guest is a shell that prints the kernel's power-off
 * line, which is what the real QEMU driver watches for.
 */
class EndOfRunTest {
  private Path root;
  private Lifecycle lc;

  @BeforeEach
  void setUp() throws Exception {
    root = Fixtures.tempDir();
    lc = lifecycle();
  }

  private Lifecycle lifecycle() throws Exception {
    return new Lifecycle(
        Map.of(VmmKind.PROCESS, new UnconfinedProcessDriverFake(NOBODY, NOBODY),
            VmmKind.QEMU, new UnconfinedProcessDriverFake(NOBODY, NOBODY, VmmKind.QEMU)),
        new AnyImageForTests("qemu"), new NoNetworkForTests(), Authorizer::empty, new StateStore(root.resolve("state")),
        Fixtures.settings(root, Duration.ofSeconds(3), Duration.ofSeconds(1)), LifecycleMetrics.NONE);
  }

  @AfterEach
  void tearDown() {
    Fixtures.destroyAll(lc);
    lc.close();
    Fixtures.deleteTree(root);
  }

  private static SandboxSpec vm(String name, String script) {
    return new SandboxSpec("qemu", name, "test", List.of("/bin/sh", "-c", script), 0, 0, null, null, false, 0);
  }

  @Test
  void gracefulStopThatPowersTheGuestOffSaysSo() throws Exception {
    String id = lc.create(ROOT, vm("g", "trap 'echo reboot: Power down; exit 0' TERM; echo up; while true; do sleep 0.1; done")).id();
    lc.start(ROOT, id);
    await().atMost(Duration.ofSeconds(5)).until(() -> lc.console(ROOT, id).tail(5).lines().contains("up"));
    SandboxView v = lc.stop(ROOT, id, null, true);
    assertThat(v.state()).isEqualTo(SandboxState.STOPPED);
    assertThat(v.reason()).isEqualTo("stopped by uid 0 (guest powered off)");
    assertThat(lc.exitInfo(ROOT, id).orElseThrow().step()).isEqualTo("shutdown");

    // a workload that ends on the request without the kernel's power-off line was shut down, not powered off
    String other = lc.create(ROOT, vm("h", "trap 'exit 0' TERM; echo up; while true; do sleep 0.1; done")).id();
    lc.start(ROOT, other);
    await().atMost(Duration.ofSeconds(5)).until(() -> lc.console(ROOT, other).tail(5).lines().contains("up"));
    assertThat(lc.stop(ROOT, other, null, true).reason()).isEqualTo("stopped by uid 0 (shut down on request)");
  }

  @Test
  void vmmExitingAfterGuestPowerOffIsStoppedNotFailed() throws Exception {
    // The VMM's own status is not 0 (as with some VMMs after a guest power-off); the power-off decides.
    String id = lc.create(ROOT, vm("p", "echo reboot: Power down; exit 1")).id();
    String bad = lc.create(ROOT, vm("b", "echo crash; exit 1")).id();
    String prog = lc.create(ROOT, process("q", "/bin/sh", "-c", "echo reboot: Power down; exit 3")).id();
    lc.start(ROOT, id);
    lc.start(ROOT, bad);
    lc.start(ROOT, prog);
    await().atMost(Duration.ofSeconds(5)).until(() -> !lc.get(ROOT, id).state().isLive()
        && !lc.get(ROOT, bad).state().isLive() && !lc.get(ROOT, prog).state().isLive());
    SandboxView v = lc.get(ROOT, id);
    assertThat(v.state()).isEqualTo(SandboxState.STOPPED);
    assertThat(v.reason()).isEqualTo("guest powered off");
    assertThat(lc.get(ROOT, bad).state()).isEqualTo(SandboxState.FAILED);
    // a program printing the line has not powered a guest off: its status decides
    assertThat(lc.get(ROOT, prog).state()).isEqualTo(SandboxState.FAILED);
    assertThat(lc.get(ROOT, prog).reason()).isEqualTo("exited on its own with status 3");
  }

  @Test
  void consoleOfAnEndedSandboxSurvivesRestartUntilDestroy() throws Exception {
    String id = lc.create(ROOT, process("c", "/bin/sh", "-c", "echo first line; echo last words; exit 2")).id();
    lc.start(ROOT, id);
    await().atMost(Duration.ofSeconds(5)).until(() -> lc.get(ROOT, id).state() == SandboxState.FAILED);
    assertThat(lc.console(ROOT, id).tail(10).lines()).containsExactly("first line", "last words");

    lc.close(); // the supervisor restarts: memory is gone, the files are not
    lc = lifecycle();
    Reconciler.Report r = lc.reconcile();
    assertThat(r.idle()).contains(id);
    ConsoleBuffer.Chunk after = lc.console(ROOT, id).tail(10);
    assertThat(after.lines()).containsExactly("first line", "last words");
    assertThat(after.closed()).isTrue(); // a follower ends at once: nothing more will come

    lc.destroy(ROOT, id);
    assertThat(root.resolve("sandboxes/" + id)).doesNotExist();
  }

  @Test
  void consoleInputReachesTheGuestOnlyFromItsOwner() throws Exception {
    String id = lc.create(ROOT, vm("in", "echo ready; while read line; do echo \"guest got: $line\"; done")).id();
    lc.start(ROOT, id);
    await().atMost(Duration.ofSeconds(5)).until(() -> lc.console(ROOT, id).tail(5).lines().contains("ready"));
    lc.writeConsole(ROOT, id, "uname\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    await().atMost(Duration.ofSeconds(5)).until(() -> lc.console(ROOT, id).tail(5).lines().contains("guest got: uname"));
    String prog = lc.create(ROOT, process("noin", "/bin/sleep", "30")).id();
    lc.start(ROOT, prog);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> lc.writeConsole(ROOT, prog, new byte[] {'x'}))
        .satisfies(e -> assertThat(((LifecycleException) e).code()).isEqualTo(LifecycleException.Code.UNSUPPORTED));
    lc.stop(ROOT, id, null, false);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> lc.writeConsole(ROOT, id, new byte[] {'x'}))
        .satisfies(e -> assertThat(((LifecycleException) e).code()).isEqualTo(LifecycleException.Code.INVALID_STATE));
  }
}
