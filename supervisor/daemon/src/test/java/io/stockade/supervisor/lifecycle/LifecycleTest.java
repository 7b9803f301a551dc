package io.stockade.supervisor.lifecycle;

import static io.stockade.supervisor.testing.Fixtures.ROOT;
import static io.stockade.supervisor.testing.Fixtures.process;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stockade.policy.Authorizer;
import io.stockade.supervisor.testing.Fixtures;
import io.stockade.supervisor.testing.TestPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The state machine, stop sequence, exits, durable state and reconcile, with real processes. */
class LifecycleTest {
  private Path root;
  private Lifecycle lc;
  private final Authorizer policy = new TestPolicy(Map.of(1000, TestPolicy.processGrant(2, "/bin/sleep")));

  @BeforeEach
  void setUp() throws Exception {
    root = Fixtures.tempDir();
    lc = Fixtures.lifecycle(root, () -> policy, Duration.ofSeconds(2), Duration.ofSeconds(1));
  }

  @AfterEach
  void tearDown() {
    for (SandboxView v : lc.all()) {
      try {
        lc.destroy(ROOT, v.id());
      } catch (LifecycleException e) {
        // already gone
      }
    }
    lc.close();
    Fixtures.deleteTree(root);
  }

  @Test
  void createStartLogsStopDestroy() throws Exception {
    SandboxView v = lc.create(ROOT, process("hello", "/bin/sh", "-c", "echo hello from a process; id -u; exec sleep 30"));
    assertThat(v.state()).isEqualTo(SandboxState.CREATED);
    assertThat(v.vcpus()).isEqualTo(1);
    v = lc.start(ROOT, "hello");
    assertThat(v.state()).isEqualTo(SandboxState.RUNNING);
    String id = v.id();
    await().atMost(Duration.ofSeconds(5)).until(() -> lc.console(ROOT, id).tail(10).lines().contains("65534"));
    assertThat(lc.console(ROOT, id).tail(10).lines()).contains("hello from a process");
    assertThat(lc.get(ROOT, id).stats().cpuMicros()).isGreaterThanOrEqualTo(0);

    JsonNode state = new ObjectMapper().readTree(root.resolve("state/sandboxes/" + id + ".json").toFile());
    assertThat(state.path("state").asText()).isEqualTo("RUNNING");
    assertThat(state.path("driverState").path("pid").asLong()).isPositive();

    v = lc.stop(ROOT, id, null, true);
    assertThat(v.state()).isEqualTo(SandboxState.STOPPED);
    assertThat(lc.exitInfo(ROOT, id).orElseThrow().step()).isEqualTo("shutdown");
    assertThat(v.exitStatus()).isEqualTo(128 + 15);

    assertThatThrownBy(() -> lc.stop(ROOT, id, null, true))
        .isInstanceOf(LifecycleException.class)
        .hasMessageContaining("is stopped")
        .satisfies(e -> assertThat(((LifecycleException) e).code()).isEqualTo(LifecycleException.Code.INVALID_STATE));

    v = lc.destroy(ROOT, id);
    assertThat(v.state()).isEqualTo(SandboxState.DESTROYED);
    assertThat(root.resolve("state/sandboxes/" + id + ".json")).doesNotExist();
    assertThat(root.resolve("sandboxes/" + id)).doesNotExist();
    assertThatThrownBy(() -> lc.get(ROOT, id)).hasMessageContaining("no sandbox");
  }

  @Test
  void stopEscalatesToKillWhenTermIsIgnored() throws Exception {
    String id = lc.create(ROOT, process(null == null ? "" : "", "/bin/sh", "-c", "trap '' TERM; echo trapped; while true; do sleep 1; done")).id();
    lc.start(ROOT, id);
    await().atMost(Duration.ofSeconds(5)).until(() -> lc.console(ROOT, id).tail(5).lines().contains("trapped"));
    long t0 = System.nanoTime();
    SandboxView v = lc.stop(ROOT, id, Duration.ofMillis(300), true);
    assertThat(v.state()).isEqualTo(SandboxState.STOPPED);
    assertThat(lc.exitInfo(ROOT, id).orElseThrow().step()).isEqualTo("kill");
    assertThat(v.reason()).contains("killed");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(8));
  }

  @Test
  void exitOnItsOwnIsStoppedOrFailedWithConsoleTail() throws Exception {
    String ok = lc.create(ROOT, process("ok", "/bin/true")).id();
    String bad = lc.create(ROOT, process("bad", "/bin/sh", "-c", "echo about to fail; exit 3")).id();
    lc.start(ROOT, ok);
    lc.start(ROOT, bad);
    await().atMost(Duration.ofSeconds(5)).until(() -> lc.get(ROOT, ok).state() == SandboxState.STOPPED);
    await().atMost(Duration.ofSeconds(5)).until(() -> lc.get(ROOT, bad).state() == SandboxState.FAILED);
    SandboxView b = lc.get(ROOT, bad);
    assertThat(b.exitStatus()).isEqualTo(3);
    assertThat(b.reason()).contains("status 3");
    assertThat(lc.exitInfo(ROOT, bad).orElseThrow().consoleTail()).contains("about to fail");
    // the console is kept after exit, and a failed sandbox can start again
    assertThat(lc.console(ROOT, bad).tail(5).lines()).contains("about to fail");
    assertThat(lc.start(ROOT, bad).state()).isIn(SandboxState.RUNNING, SandboxState.FAILED);
  }

  @Test
  void ownersSeeOnlyTheirOwnAndPolicyIsEnforced() throws Exception {
    var alice = Fixtures.user(1000);
    var bob = Fixtures.user(1001);
    String id = lc.create(alice, process("a", "/bin/sleep", "30")).id();
    assertThat(lc.list(alice)).extracting(SandboxView::id).containsExactly(id);
    assertThat(lc.list(bob)).isEmpty();
    assertThat(lc.list(ROOT)).extracting(SandboxView::id).contains(id);
    assertThatThrownBy(() -> lc.stop(bob, id, null, true))
        .satisfies(e -> assertThat(((LifecycleException) e).code()).isEqualTo(LifecycleException.Code.NOT_FOUND));
    assertThatThrownBy(() -> lc.create(bob, process("b", "/bin/sleep", "30")))
        .satisfies(e -> assertThat(((LifecycleException) e).code()).isEqualTo(LifecycleException.Code.POLICY_DENIED));
    assertThatThrownBy(() -> lc.create(alice, process("c", "/bin/sh", "-c", "true")))
        .satisfies(e -> assertThat(((LifecycleException) e).code()).isEqualTo(LifecycleException.Code.POLICY_DENIED));
    lc.create(alice, process("b", "/bin/sleep", "30"));
    assertThatThrownBy(() -> lc.create(alice, process("d", "/bin/sleep", "30")))
        .satisfies(e -> assertThat(((LifecycleException) e).code()).isEqualTo(LifecycleException.Code.QUOTA_EXCEEDED));
    assertThatThrownBy(() -> lc.create(alice, process("a", "/bin/sleep", "30")))
        .satisfies(e -> assertThat(((LifecycleException) e).code()).isIn(LifecycleException.Code.QUOTA_EXCEEDED, LifecycleException.Code.INVALID_PARAMETER));
  }

  @Test
  void invalidRequestsNameTheParameter() {
    assertThatThrownBy(() -> lc.create(ROOT, process("x", "relative/path")))
        .hasMessageContaining("spec.command");
    assertThatThrownBy(() -> lc.create(ROOT, new SandboxSpec("qemu", "", "", java.util.List.of(), 0, 0, null, null, false, 0)))
        .satisfies(e -> assertThat(((LifecycleException) e).code()).isEqualTo(LifecycleException.Code.UNSUPPORTED));
    assertThatThrownBy(() -> lc.create(ROOT, new SandboxSpec("process", "", "", java.util.List.of("/bin/true"), 0, 0,
        java.util.List.of(new io.stockade.policy.EgressRule("10.0.0.1/8", "tcp", 1, 2)), null, true, 0)))
        .hasMessageContaining("spec.egress[0]").hasMessageContaining("host bits");
  }

  @Test
  void pauseAndResume() throws Exception {
    String id = lc.create(ROOT, process("p", "/bin/sleep", "30")).id();
    lc.start(ROOT, id);
    assertThat(lc.pause(ROOT, id).state()).isEqualTo(SandboxState.PAUSED);
    assertThatThrownBy(() -> lc.pause(ROOT, id)).hasMessageContaining("is paused");
    assertThat(lc.resume(ROOT, id).state()).isEqualTo(SandboxState.RUNNING);
    assertThatThrownBy(() -> lc.snapshot(ROOT, id, "s1"))
        .satisfies(e -> assertThat(((LifecycleException) e).code()).isEqualTo(LifecycleException.Code.UNSUPPORTED));
  }

  @Test
  void reconcileReattachesLiveAndCleansUpDead() throws Exception {
    String live = lc.create(ROOT, process("live", "/bin/sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done")).id();
    String dead = lc.create(ROOT, process("dead", "/bin/sleep", "30")).id();
    lc.start(ROOT, live);
    lc.start(ROOT, dead);
    long livePid = Long.parseLong(new ObjectMapper().readTree(root.resolve("state/sandboxes/" + live + ".json").toFile())
        .path("driverState").path("pid").asText());
    long deadPid = Long.parseLong(new ObjectMapper().readTree(root.resolve("state/sandboxes/" + dead + ".json").toFile())
        .path("driverState").path("pid").asText());
    // The supervisor "crashes": its in-memory state is gone, the workloads are not.
    lc.close();
    ProcessHandle.of(deadPid).orElseThrow().destroyForcibly();
    await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.of(deadPid).isEmpty() || !ProcessHandle.of(deadPid).get().isAlive());
    // its exit callback ran in the old instance; simulate a restart reading the files as they were
    lc = Fixtures.lifecycle(root, () -> policy, Duration.ofSeconds(2), Duration.ofSeconds(1));
    Files.writeString(root.resolve("state/sandboxes/" + dead + ".json"),
        Files.readString(root.resolve("state/sandboxes/" + dead + ".json")).replace("\"STOPPED\"", "\"RUNNING\"").replace("\"FAILED\"", "\"RUNNING\""));
    Reconciler.Report r = lc.reconcile();
    assertThat(r.reattached()).contains(live);
    assertThat(lc.get(ROOT, live).state()).isEqualTo(SandboxState.RUNNING);
    assertThat(ProcessHandle.of(livePid)).isPresent();
    await().atMost(Duration.ofSeconds(5)).until(() -> lc.console(ROOT, live).tail(3).lines().stream().anyMatch(l -> l.startsWith("tick")));
    assertThat(lc.get(ROOT, dead).state()).isIn(SandboxState.FAILED, SandboxState.STOPPED);
    assertThat(lc.stop(ROOT, live, null, true).state()).isEqualTo(SandboxState.STOPPED);
    assertThat(ProcessHandle.of(livePid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
  }

  @Test
  void drainStopsEverythingInParallel() throws Exception {
    for (int i = 0; i < 5; i++) {
      lc.start(ROOT, lc.create(ROOT, process("d" + i, "/bin/sleep", "60")).id());
    }
    Drain.Result r = lc.drain(Duration.ofSeconds(10));
    assertThat(r.stopped()).isEqualTo(5);
    assertThat(r.remaining()).isZero();
    assertThat(r.took()).isLessThan(Duration.ofSeconds(5));
    assertThat(lc.all()).allMatch(v -> v.state() == SandboxState.STOPPED);
  }
}
