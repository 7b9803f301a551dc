package io.stockade.supervisor.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.policy.CpuList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The v1 path of killAll (no cgroup.kill): real v1 cgroups, real processes. */
class CgroupV1KillTest {
  @Test
  void killAllWithoutCgroupKillSignalsEveryProcess() throws Exception {
    JailTestSupport.assumeRoot();
    CgroupLayout real = CgroupLayout.discover(Path.of("/"));
    assumeTrue(real.v1("pids").isPresent() && real.v1("memory").isPresent(), "no v1 pids/memory hierarchy on this host");
    // The host's own v1 hierarchies, as if no v2 were mounted.
    CgroupLayout v1Only = new CgroupLayout(Optional.empty(), Set.of(),
        Map.of("pids", real.v1("pids").get(), "memory", real.v1("memory").get()));
    SandboxCgroup cg = SandboxCgroup.of(v1Only, "stk-jt-v1kill-" + ProcessHandle.current().pid());
    Process a = null;
    Process b = null;
    try {
      cg.create(v1Only, List.of(), 64L << 20, 8, 0, SandboxCgroup.Io.NONE, CpuList.NONE);
      a = new ProcessBuilder("sleep", "60").start();
      b = new ProcessBuilder("sleep", "60").start();
      for (Path d : cg.dirs()) {
        Files.writeString(d.resolve("cgroup.procs"), Long.toString(a.pid()));
        Files.writeString(d.resolve("cgroup.procs"), Long.toString(b.pid()));
      }
      assertThat(cg.populated()).isTrue();
      assertThat(cg.usage().pids()).isEqualTo(2);
      cg.killAll();
      assertThat(a.waitFor(5, TimeUnit.SECONDS)).isTrue();
      assertThat(b.waitFor(5, TimeUnit.SECONDS)).isTrue();
      assertThat(a.exitValue()).isEqualTo(137);
      assertThat(cg.awaitEmpty(2000)).isTrue();
    } finally {
      if (a != null) {
        a.destroyForcibly().waitFor();
      }
      if (b != null) {
        b.destroyForcibly().waitFor();
      }
      assertThat(cg.remove()).isEmpty();
    }
    for (Path d : cg.dirs()) {
      assertThat(d).doesNotExist();
    }
  }
}
