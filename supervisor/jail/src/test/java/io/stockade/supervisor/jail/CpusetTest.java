package io.stockade.supervisor.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.policy.CpuList;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * CPU pinning on the real kernel: a pinned workload's affinity (read from outside) is the
 * request and it cannot widen it, an unpinned one has all of the supervisor's CPUs, pooled and
 * cold stages pin alike, and CPUs the supervisor lacks (or a host without cpuset) are refused
 * with nothing left behind.
 */
class CpusetTest {
  JailTestSupport jails;
  CgroupLayout layout;
  final List<String> ids = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    jails = JailTestSupport.create("cps", 911_400);
    layout = CgroupLayout.discover(Path.of("/"));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (jails != null) {
      try {
        for (String id : ids) {
          jails.launcher.cleanup(id);
        }
      } finally {
        jails.close();
      }
    }
  }

  private String newId(String what) {
    String id = "stk-cps-" + what + "-" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 30), 36);
    ids.add(id);
    return id;
  }

  private CpuList available() throws JailException {
    assumeTrue(Cpuset.where(layout).isPresent(), "no cpuset controller on cgroup v2 or v1 here");
    return Cpuset.available(layout).cpus();
  }

  /** The last of the supervisor's CPUs, where there is another one to be kept off. */
  private CpuList oneOfTwoOrMore() throws JailException {
    CpuList all = available();
    assumeTrue(all.size() >= 2, "pinning needs 2 CPUs to be told from not pinning; the supervisor's cpuset is " + all);
    return CpuList.parse(all.toString().replaceAll(".*[,-]", ""));
  }

  /** The sandbox cgroup's cpuset.cpus: v2, or the v1 cpuset hierarchy's. */
  private Path cpusetCpus(String id) {
    return (layout.onV2("cpuset") ? layout.v2() : layout.v1("cpuset")).orElseThrow().resolve(id).resolve("cpuset.cpus");
  }

  private static CpuList allowedOf(long pid) throws IOException {
    Matcher m = Pattern.compile("(?m)^Cpus_allowed_list:\\s*(\\S+)$").matcher(Files.readString(Path.of("/proc/" + pid + "/status")));
    assertThat(m.find()).as("Cpus_allowed_list of " + pid).isTrue();
    return CpuList.parse(m.group(1));
  }

  private JailSpec shell(String id, JailSpec.Limits limits, String script) {
    JailSpec s = jails.shell(id, script);
    return new JailSpec(id, s.executable(), s.argv(), s.env(), s.mounts(), s.devices(), s.netns(), limits,
        s.seccompProfile(), s.userNamespace(), s.workDir());
  }

  private static void awaitConsole(JailedProcess p, String text) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!JailTestSupport.console(p).contains(text)) {
      assertThat(System.nanoTime()).as("console says %s; it has: %s", text, JailTestSupport.console(p)).isLessThan(end);
      assertThat(p.onExit()).as(JailTestSupport.console(p)).isNotDone();
      Thread.sleep(20);
    }
  }

  @Test
  void aPinnedWorkloadRunsOnlyOnItsCpuAndCannotWidenIt() throws Exception {
    CpuList all = available();
    CpuList pin = oneOfTwoOrMore();
    CpuList other = all.minus(pin);
    String id = newId("pin");
    // taskset onto the other CPUs only: the kernel intersects the mask with the cpuset, gets
    // nothing and refuses (EINVAL); onto all CPUs: accepted, but the intersection is the pin.
    JailedProcess p = jails.launcher.launch(shell(id, JailTestSupport.limits().withCpus(pin),
        "grep Cpus_allowed_list /proc/self/status; taskset -p -c " + other + " $$; echo narrow=$?; taskset -p -c "
            + all + " $$; echo widen=$?; echo attempted; exec sleep 60"));
    awaitConsole(p, "attempted");
    String console = JailTestSupport.console(p);
    assertThat(console).containsPattern("Cpus_allowed_list:\\s+" + pin + "\n")
        .contains("narrow=1").containsPattern("failed to set pid \\d+'s affinity: Invalid argument")
        .contains("widen=0");
    long workload = ((LinuxJailedProcess) p).workloadPid();
    assertThat(allowedOf(workload)).as("from outside, after both attempts").isEqualTo(pin);
    assertThat(allowedOf(p.pid())).as("the exec stage's outer process").isEqualTo(pin);
    assertThat(Files.readString(cpusetCpus(id)).strip()).isEqualTo(pin.toString());
    p.killAll();
    JailTestSupport.await(p);
    jails.launcher.cleanup(id);
    assertNothingLeft(id);

    // The same through sched_setaffinity itself, from a static program (the hostile probe).
    String probeId = newId("probe");
    JailedProcess probe = jails.launcher.launch(jails.probe(probeId, JailTestSupport.limits().withCpus(pin), "widen_cpus"));
    assertThat(JailTestSupport.await(probe)).isZero();
    assertThat(JailTestSupport.console(probe)).isEqualTo("widen_cpus errno 22 EINVAL\n");
  }

  @Test
  void anUnpinnedWorkloadHasAllOfTheSupervisorsCpus() throws Exception {
    CpuList all = available();
    String id = newId("free");
    JailedProcess p = jails.launcher.launch(shell(id, JailTestSupport.limits(),
        "grep Cpus_allowed_list /proc/self/status; cat /proc/self/cgroup"));
    assertThat(JailTestSupport.await(p)).as(JailTestSupport.console(p)).isZero();
    assertThat(JailTestSupport.console(p)).containsPattern("Cpus_allowed_list:\\s+" + all + "\n");
    if (layout.v1("cpuset").isPresent()) {
      // It joins a cpuset cgroup all the same (so pooled stages fit any sandbox), with the parent's CPUs.
      assertThat(JailTestSupport.console(p)).containsPattern("cpuset:.*/" + id + "\n");
      assertThat(CpuList.parse(Files.readString(cpusetCpus(id)))).isEqualTo(all);
    }
    jails.launcher.cleanup(id);
    assertNothingLeft(id);
  }

  @Test
  void pooledAndColdStagesPinAlike() throws Exception {
    CpuList pin = oneOfTwoOrMore();
    Optional<Path> cpusetV1 = layout.v1("cpuset");
    List<Long> pooled = cpusetV1.isPresent() ? awaitPooledStages(cpusetV1.get(), 2) : List.of();
    try (LinuxJailLauncher cold = LinuxJailLauncher.create(jails.config, 0)) {
      for (LinuxJailLauncher launcher : List.of(jails.launcher, cold)) {
        String id = newId(launcher == cold ? "cold" : "pooled");
        JailedProcess p = launcher.launch(shell(id, JailTestSupport.limits().withCpus(pin),
            "grep Cpus_allowed_list /proc/self/status"));
        assertThat(JailTestSupport.await(p)).as(JailTestSupport.console(p)).isZero();
        if (launcher != cold && cpusetV1.isPresent()) {
          assertThat(pooled).as("the launch took a pooled stage").contains(p.pid());
        }
        assertThat(JailTestSupport.console(p)).containsPattern("Cpus_allowed_list:\\s+" + pin + "\n");
        launcher.cleanup(id);
        assertNothingLeft(id);
      }
    }
  }

  @Test
  void cpusTheSupervisorLacksAreRefusedAndNothingIsLeft() throws Exception {
    CpuList all = available();
    CpuList beyond = all.contains(7) ? CpuList.of(CpuList.LIMIT - 1) : CpuList.of(7);
    String id = newId("beyond");
    assertThatThrownBy(() -> jails.launcher.launch(shell(id, JailTestSupport.limits().withCpus(beyond), "true")))
        .isInstanceOfSatisfying(JailException.class, e -> {
          assertThat(e.step()).isEqualTo("cgroup_cpuset");
          assertThat(e.errno()).isEqualTo(Errno.EINVAL);
          assertThat(e.getMessage()).contains("CPU(s) " + beyond + " not available").contains("holds " + all)
              .contains("cpuset");
        });
    assertNothingLeft(id);
  }

  @Test
  void aHostWithoutCpusetRefusesPinningButRunsUnpinned() throws Exception {
    assumeTrue(!layout.onV2("cpuset"), "this host has cpuset on cgroup v2: it cannot be made to lack it");
    Map<String, Path> v1 = new HashMap<>();
    for (String c : List.of("memory", "pids", "cpu", "blkio")) {
      layout.v1(c).ifPresent(d -> v1.put(c, d));
    }
    CgroupLayout noCpuset = new CgroupLayout(layout.v2(), layout.v2Controllers(), v1);
    try (LinuxJailLauncher launcher = LinuxJailLauncher.create(jails.config, 0, noCpuset)) {
      String id = newId("nocs");
      assertThatThrownBy(() -> launcher.launch(shell(id, JailTestSupport.limits().withCpus(CpuList.of(0)), "true")))
          .isInstanceOfSatisfying(JailException.class, e -> {
            assertThat(e.step()).isEqualTo("cgroup_cpuset");
            assertThat(e.getMessage()).contains("no cpuset controller").contains("without CPU pinning");
          });
      assertNothingLeft(id);
      String free = newId("nocsfree");
      JailedProcess p = launcher.launch(shell(free, JailTestSupport.limits(), "true"));
      assertThat(JailTestSupport.await(p)).as(JailTestSupport.console(p)).isZero();
      launcher.cleanup(free);
      assertNothingLeft(free);
    }
  }

  /** No jail directory, no cgroup directory of that name in any hierarchy, no uid lease. */
  private void assertNothingLeft(String id) throws IOException {
    assertThat(jails.config.jailsDir().resolve(id)).doesNotExist();
    try (Stream<Path> cg = Files.find(Path.of("/sys/fs/cgroup"), 8, (q, a) -> q.getFileName().toString().equals(id))) {
      assertThat(cg).isEmpty();
    }
    if (Files.isDirectory(jails.config.leaseDir())) {
      try (Stream<Path> leases = Files.list(jails.config.leaseDir())) {
        assertThat(leases.filter(q -> !q.getFileName().toString().startsWith("."))
            .filter(q -> readOrEmpty(q).contains(id))).isEmpty();
      }
    }
  }

  private static String readOrEmpty(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "";
    }
  }

  /** The pids of this JVM's pooled stages waiting in the v1 cpuset hierarchy, once {@code n} are there. */
  private static List<Long> awaitPooledStages(Path cpuset, int n) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      List<Long> pids = new ArrayList<>();
      try (DirectoryStream<Path> s = Files.newDirectoryStream(cpuset, "pool_" + ProcessHandle.current().pid() + "_*")) {
        for (Path d : s) {
          // Ready to take any sandbox: the parent's CPUs and memory nodes, so the stage could join.
          assertThat(Files.readString(d.resolve("cpuset.mems")).strip()).isNotEmpty();
          for (String l : Files.readAllLines(d.resolve("cgroup.procs"))) {
            pids.add(Long.parseLong(l.strip()));
          }
        }
      } catch (IOException e) {
        // a pool cgroup renamed or removed while listed: look again
      }
      if (pids.size() >= n) {
        return pids;
      }
      assertThat(System.nanoTime()).as("%d pooled stages in %s", n, cpuset).isLessThan(end);
      Thread.sleep(20);
    }
  }
}
