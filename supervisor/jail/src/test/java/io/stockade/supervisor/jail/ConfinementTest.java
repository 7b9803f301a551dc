package io.stockade.supervisor.jail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real jailed workloads, inspected from outside (/proc of the workload) and from inside (the
 * hostile probe). Each escape attempt is asserted to fail in a specific way.
 */
class ConfinementTest {
  static JailTestSupport jails;

  @BeforeAll
  static void setUp() throws Exception {
    jails = JailTestSupport.create("conf", 910_100);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (jails != null) {
      jails.close();
    }
  }

  static Map<String, String> status(long pid) throws Exception {
    Map<String, String> m = new HashMap<>();
    for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      int c = l.indexOf(':');
      m.put(l.substring(0, c), l.substring(c + 1).trim());
    }
    return m;
  }

  static LinuxJailedProcess sleeper(String id) throws Exception {
    LinuxJailedProcess p = (LinuxJailedProcess) jails.launcher.launch(jails.probe(id, JailTestSupport.limits(), "sleep"));
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> JailTestSupport.console(p).contains("sleeping"));
    return p;
  }

  @Test
  void workloadIsConfinedBeforeItRuns() throws Exception {
    LinuxJailedProcess p = sleeper(jails.newId("status"));
    Map<String, String> st = status(p.workloadPid());
    assertThat(st.get("Uid")).isEqualTo(p.uid() + "\t" + p.uid() + "\t" + p.uid() + "\t" + p.uid());
    assertThat(st.get("Gid")).startsWith(p.gid() + "\t");
    assertThat(st.get("Groups")).isEmpty();
    for (String cap : new String[] {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
      assertThat(st.get(cap)).as(cap).isEqualTo("0000000000000000");
    }
    assertThat(st.get("NoNewPrivs")).isEqualTo("1");
    assertThat(st.get("Seccomp")).isEqualTo("2");
    assertThat(st.get("NSpid")).endsWith("\t1"); // pid 1 of its own pid namespace
    for (String ns : new String[] {"mnt", "pid", "ipc", "uts"}) {
      assertThat(Files.readSymbolicLink(Path.of("/proc/" + p.workloadPid() + "/ns/" + ns)))
          .as(ns).isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/" + ns)));
    }
    assertThat(Files.readString(Path.of("/proc/" + p.workloadPid() + "/cgroup"))).contains("/" + p.sandboxId() + "\n");
    // Its root is the jail: the host's /etc is not there, the probe's mount point is.
    Path root = Path.of("/proc/" + p.workloadPid() + "/root");
    assertThat(Files.exists(root.resolve("etc/passwd"))).isFalse();
    assertThat(Files.isDirectory(root.resolve("run"))).isTrue();
    assertThat(Files.readString(Path.of("/proc/" + p.workloadPid() + "/limits"))).containsPattern("Max open files\\s+256\\s+256");
    // The tracked pid (the stage's outer process) keeps only CAP_KILL, and stays outside the v2
    // cgroup it created the workload in (CLONE_INTO_CGROUP), but inside the v1 limits.
    assertThat(status(p.pid()).get("CapEff")).isEqualTo("0000000000000020");
    assertThat(Files.readString(Path.of("/proc/" + p.pid() + "/cgroup"))).containsPattern("memory:.*/" + p.sandboxId() + "\n");
    assertThat(p.usage().pids()).isGreaterThanOrEqualTo(2);
    assertThat(p.usage().memoryBytes()).isGreaterThan(0);
    p.killAll();
    assertThat(JailTestSupport.await(p)).isEqualTo(137);
  }

  @Test
  void everyEscapeAttemptIsDeniedAndHow() throws Exception {
    LinuxJailedProcess other = sleeper(jails.newId("other"));
    String id = jails.newId("probe");
    JailedProcess p = jails.launcher.launch(
        jails.probe(id, new JailSpec.Limits(0, 64L << 20, 32, 256, 0), "all", Long.toString(other.workloadPid())));
    assertThat(JailTestSupport.await(p)).isEqualTo(0);
    String out = JailTestSupport.console(p);
    assertThat(out)
        .contains("read_host_file errno 2 ENOENT")
        .contains("write_outside_root errno 30 EROFS")
        .contains("mount killed 31 SYS")
        .contains("unshare_userns killed 31 SYS")
        .contains("ptrace killed 31 SYS")
        .contains("init_module killed 31 SYS")
        .contains("raw_socket errno 1 EPERM")
        .contains("netlink_socket errno 97 EAFNOSUPPORT")
        .contains("signal_other errno 3 ESRCH")
        .contains("setuid_root errno 1 EPERM")
        .contains("fork_bomb errno 11 EAGAIN")
        .contains("memory_hog killed 9 KILL")
        .contains("done");
    // pids.max holds the bomb: the probe, its attempt child and the stage count too.
    assertThat(out).containsPattern("fork_bomb forks ([0-9]|[12][0-9]|3[0-2])\n");
    assertThat(other.onExit()).isNotDone();
  }

  @Test
  void signalIsForwardedToTheWorkload() throws Exception {
    LinuxJailedProcess p = sleeper(jails.newId("sig"));
    p.signal(15);
    assertThat(JailTestSupport.await(p)).isEqualTo(115); // the probe's SIGTERM handler exits 100+15
    assertThat(JailTestSupport.console(p)).contains("terminated");
    assertThat(Files.readString(p.rootDir().getParent().resolve("exit-status")).trim()).isEqualTo("115");
  }

  @Test
  void killingTheStageKillsTheWorkload() throws Exception {
    LinuxJailedProcess p = sleeper(jails.newId("kill"));
    long workload = p.workloadPid();
    p.signal(9);
    assertThat(JailTestSupport.await(p)).isEqualTo(137);
    Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> ProcStat.startTime(workload).isEmpty());
  }
}
