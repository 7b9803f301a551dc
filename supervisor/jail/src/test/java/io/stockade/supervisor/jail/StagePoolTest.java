package io.stockade.supervisor.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Exec stages started ahead of launches: placed in pool cgroups, renamed on use, ended on close. */
class StagePoolTest {

  @Test
  void pooledStagesWaitInPoolCgroupsHoldingNothingAndCloseRemovesThem() throws Exception {
    Path memory = memoryV1();
    List<Path> others = poolDirs(memory); // other launchers' in this JVM, if any are open
    try (JailTestSupport jails = JailTestSupport.create("pool", 910_600, 2)) {
      List<Path> pool = awaitPool(memory, others, 2);
      for (Path d : pool) {
        List<String> procs = Files.readAllLines(d.resolve("cgroup.procs"));
        assertThat(procs).hasSize(1);
        // Waiting for a command line: nothing of any sandbox (no jail dir, no uid) in its arguments.
        String cmdline = Files.readString(Path.of("/proc", procs.get(0), "cmdline")).replace('\0', ' ');
        assertThat(cmdline).contains("--pooled --cgroup").doesNotContain("--jail-dir").doesNotContain("--uid");
        assertThat(Files.readString(d.resolve("memory.limit_in_bytes")).trim()).isEqualTo(Files.readString(
            memory.resolve("memory.limit_in_bytes")).trim());
      }

      String id = jails.newId("pooled");
      JailedProcess p = jails.launcher.launch(jails.shell(id, "cat /proc/self/cgroup"));
      assertThat(JailTestSupport.await(p)).isZero();
      // The stage took over pool cgroups renamed to the sandbox's, limits written before its fork.
      assertThat(JailTestSupport.console(p)).containsPattern("memory:.*/" + id + "\n").containsPattern("pids:.*/" + id + "\n");
      assertThat(Files.readString(memory.resolve(id).resolve("memory.limit_in_bytes")).trim())
          .isEqualTo(Long.toString(JailTestSupport.limits().memoryBytes()));

      List<Path> refilled = awaitPool(memory, others, 2);
      jails.launcher.close();
      for (Path d : refilled) {
        assertThat(d).doesNotExist();
      }
      assertThat(poolDirs(memory)).containsExactlyInAnyOrderElementsOf(others);
    }
  }

  @Test
  void aPooledStageKilledWhileWaitingDoesNotFailTheLaunch() throws Exception {
    Path memory = memoryV1();
    List<Path> others = poolDirs(memory);
    try (JailTestSupport jails = JailTestSupport.create("poolkill", 910_800, 2)) {
      for (Path d : awaitPool(memory, others, 2)) {
        for (String pid : Files.readAllLines(d.resolve("cgroup.procs"))) {
          ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
      String id = jails.newId("afterkill");
      JailedProcess p = jails.launcher.launch(jails.shell(id, "cat /proc/self/cgroup"));
      assertThat(JailTestSupport.await(p)).isZero();
      assertThat(JailTestSupport.console(p)).containsPattern("memory:.*/" + id + "\n").containsPattern("pids:.*/" + id + "\n");
    }
  }

  @Test
  void withoutPoolEachLaunchStartsAndPlacesItsOwnStage() throws Exception {
    Path memory = memoryV1();
    List<Path> others = poolDirs(memory);
    try (JailTestSupport jails = JailTestSupport.create("nopool", 910_700, 0)) {
      String id = jails.newId("cold");
      JailedProcess p = jails.launcher.launch(jails.shell(id, "cat /proc/self/cgroup"));
      assertThat(JailTestSupport.await(p)).isZero();
      assertThat(JailTestSupport.console(p)).containsPattern("memory:.*/" + id + "\n");
      assertThat(poolDirs(memory)).containsExactlyInAnyOrderElementsOf(others);
    }
  }

  private static Path memoryV1() throws JailException {
    CgroupLayout layout = CgroupLayout.discover(Path.of("/"));
    assumeTrue(layout.v1("memory").isPresent(), "the pool matters where v1 migrations happen: no v1 memory hierarchy here");
    return layout.v1("memory").get();
  }

  private static List<Path> awaitPool(Path parent, List<Path> others, int n) throws Exception {
    long end = System.nanoTime() + 30_000_000_000L;
    while (true) {
      List<Path> dirs = poolDirs(parent);
      dirs.removeAll(others);
      if (dirs.size() >= n) {
        boolean ready = true;
        for (Path d : dirs) {
          ready &= Files.exists(d) && !Files.readString(d.resolve("cgroup.procs")).isBlank();
        }
        if (ready) {
          return dirs;
        }
      }
      assertThat(System.nanoTime()).as("pool of %d stages ready in %s", n, parent).isLessThan(end);
      Thread.sleep(20);
    }
  }

  /** This JVM's pool cgroups (tests use the empty cgroup prefix). */
  private static List<Path> poolDirs(Path parent) throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(parent, "pool_" + ProcessHandle.current().pid() + "_*")) {
      s.forEach(out::add);
    }
    return out;
  }
}
