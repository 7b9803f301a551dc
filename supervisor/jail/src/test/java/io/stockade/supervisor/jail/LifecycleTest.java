package io.stockade.supervisor.jail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Reattach after a "restart", console bounds, user namespaces, usage. */
class LifecycleTest {
  static JailTestSupport jails;

  @BeforeAll
  static void setUp() throws Exception {
    jails = JailTestSupport.create("life", 910_300);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (jails != null) {
      jails.close();
    }
  }

  @Test
  void aRestartedSupervisorReattachesByPidAndStartTime() throws Exception {
    String id = jails.newId("reattach");
    JailedProcess first = jails.launcher.launch(jails.probe(id, JailTestSupport.limits(), "sleep"));
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> JailTestSupport.console(first).contains("sleeping"));
    // A second launcher on the same state stands for the supervisor after a restart.
    LinuxJailLauncher restarted = LinuxJailLauncher.create(jails.config);
    assertThat(restarted.reattach(id, first.pid(), first.startTime() + 1)).isEmpty();
    assertThat(restarted.reattach("stk-jt-someone-else", first.pid(), first.startTime())).isEmpty();
    JailedProcess again = restarted.reattach(id, first.pid(), first.startTime()).orElseThrow();
    assertThat(again.uid()).isEqualTo(first.uid());
    assertThat(again.consoleFile()).isEqualTo(first.consoleFile());
    assertThat(again.usage().pids()).isGreaterThanOrEqualTo(2);
    assertThat(again.onExit()).isNotDone();
    again.signal(15);
    // Not our child: the status comes from the file the stage writes on exit.
    assertThat(again.onExit().get(30, TimeUnit.SECONDS)).isEqualTo(115);
    assertThat(first.onExit().get(30, TimeUnit.SECONDS)).isEqualTo(115);
    again.signal(9); // the pidfd refers to the exited process: nothing else is hit
  }

  @Test
  void consoleIsRotatedAtItsBound() throws Exception {
    JailConfig small = jails.config.withConsoleMaxBytes(64 * 1024);
    LinuxJailLauncher launcher = LinuxJailLauncher.create(small);
    String id = jails.newId("console");
    JailedProcess p = launcher.launch(jails.shell(id, "i=0; while [ $i -lt 3000 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done"));
    assertThat(JailTestSupport.await(p)).isZero();
    Path log = p.consoleFile();
    Path old = log.resolveSibling("console.log.1");
    assertThat(Files.size(log)).isLessThanOrEqualTo(64 * 1024);
    assertThat(Files.size(old)).isLessThanOrEqualTo(64 * 1024).isPositive();
    assertThat(Files.readString(log)).contains("line-2999-");
  }

  @Test
  void userNamespaceMapsOnlyTheSandboxUid() throws Exception {
    String id = jails.newId("userns");
    JailSpec base = jails.shell(id, "cat /proc/self/uid_map /proc/self/gid_map; id -u; exec sleep 30");
    JailSpec spec = new JailSpec(id, base.executable(), base.argv(), base.env(), base.mounts(), base.devices(),
        Optional.empty(), base.limits(), "process", true, "/");
    LinuxJailedProcess p = (LinuxJailedProcess) jails.launcher.launch(spec);
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> JailTestSupport.console(p).lines().count() >= 3);
    String uid = Integer.toString(p.uid());
    assertThat(JailTestSupport.console(p).lines().map(l -> List.of(l.trim().split("\\s+"))))
        .contains(List.of(uid, uid, "1"), List.of(uid));
    assertThat(Files.readSymbolicLink(Path.of("/proc/" + p.workloadPid() + "/ns/user")))
        .isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/user")));
    assertThat(ConfinementTest.status(p.workloadPid()).get("CapBnd")).isEqualTo("0000000000000000");
    p.killAll();
    assertThat(JailTestSupport.await(p)).isEqualTo(137);
  }

  @Test
  void concurrentLaunchesGetDistinctUids() throws Exception {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(6);
    try {
      List<java.util.concurrent.Future<JailedProcess>> futures = new java.util.ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String id = jails.newId("par" + i);
        futures.add(pool.submit(() -> jails.launcher.launch(jails.shell(id, "id -u"))));
      }
      java.util.Set<Integer> uids = new java.util.HashSet<>();
      for (java.util.concurrent.Future<JailedProcess> f : futures) {
        JailedProcess p = f.get(60, TimeUnit.SECONDS);
        assertThat(JailTestSupport.await(p)).isZero();
        assertThat(JailTestSupport.console(p).trim()).isEqualTo(Integer.toString(p.uid()));
        uids.add(p.uid());
      }
      assertThat(uids).hasSize(6);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void environmentIsExactlyTheSpecs() throws Exception {
    String id = jails.newId("env");
    JailSpec base = jails.shell(id, "env | sort; pwd");
    JailSpec spec = new JailSpec(id, base.executable(), base.argv(), Map.of("A", "1", "PATH", "/usr/bin"), base.mounts(),
        base.devices(), Optional.empty(), base.limits(), "process", false, "/run");
    JailedProcess p = jails.launcher.launch(spec);
    assertThat(JailTestSupport.await(p)).isZero();
    // dash adds PWD; nothing comes from the supervisor's environment.
    assertThat(JailTestSupport.console(p)).isEqualTo("A=1\nPATH=/usr/bin\nPWD=/run\n/run\n");
  }
}
