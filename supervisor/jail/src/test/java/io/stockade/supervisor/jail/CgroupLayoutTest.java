package io.stockade.supervisor.jail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Discovery against fake /proc and cgroupfs trees (through the injected host root). */
class CgroupLayoutTest {
  Path root;

  @BeforeEach
  void createDir() throws Exception {
    root = Files.createTempDirectory("stk-jt-unit-");
  }

  @AfterEach
  void removeDir() throws Exception {
    try (java.util.stream.Stream<Path> s = Files.walk(root)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private void write(String path, String content) throws Exception {
    Path p = root.resolve(path);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
  }

  @Test
  void hybridHostUsesV1ForLimitsAndV2ForKill() throws Exception {
    write("proc/self/mountinfo", String.join("\n",
        "30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755",
        "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate",
        "33 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory",
        "34 30 0:30 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids",
        "35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct", ""));
    write("proc/self/cgroup", "5:pids:/svc\n4:memory:/svc/sub\n3:cpu,cpuacct:/\n0::/svc.slice/stockade.service\n");
    write("sys/fs/cgroup/unified/svc.slice/stockade.service/cgroup.controllers", "\n");
    CgroupLayout l = CgroupLayout.discover(root);
    assertThat(l.v2()).contains(root.resolve("sys/fs/cgroup/unified/svc.slice/stockade.service"));
    assertThat(l.v1("memory")).contains(root.resolve("sys/fs/cgroup/memory/svc/sub"));
    assertThat(l.v1("pids")).contains(root.resolve("sys/fs/cgroup/pids/svc"));
    assertThat(l.v1("cpu")).contains(root.resolve("sys/fs/cgroup/cpu,cpuacct"));
    SandboxCgroup s = SandboxCgroup.of(l, "stk-jt-a");
    assertThat(s.dirs()).containsExactly(
        root.resolve("sys/fs/cgroup/unified/svc.slice/stockade.service/stk-jt-a"),
        root.resolve("sys/fs/cgroup/memory/svc/sub/stk-jt-a"),
        root.resolve("sys/fs/cgroup/pids/svc/stk-jt-a"),
        root.resolve("sys/fs/cgroup/cpu,cpuacct/stk-jt-a"));
  }

  @Test
  void unifiedHostUsesV2Only() throws Exception {
    write("proc/self/mountinfo", "31 25 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
    write("proc/self/cgroup", "0::/system.slice/stockade.service\n");
    write("sys/fs/cgroup/system.slice/stockade.service/cgroup.controllers", "cpuset cpu io memory pids\n");
    CgroupLayout l = CgroupLayout.discover(root);
    assertThat(l.v2()).contains(root.resolve("sys/fs/cgroup/system.slice/stockade.service"));
    assertThat(l.v2Controllers()).containsAll(Set.of("cpu", "memory", "pids"));
    assertThat(l.v1("memory")).isEqualTo(Optional.empty());
    assertThat(SandboxCgroup.of(l, "x").dirs()).containsExactly(root.resolve("sys/fs/cgroup/system.slice/stockade.service/x"));
  }

  @Test
  void limitsAreWrittenToV1FilesOnAHybridHost() throws Exception {
    hybridHostUsesV1ForLimitsAndV2ForKill();
    CgroupLayout l = CgroupLayout.discover(root);
    SandboxCgroup s = SandboxCgroup.of(l, "stk-jt-b");
    for (Path d : s.dirs()) {
      Files.createDirectories(d.getParent());
    }
    // A fake cgroupfs has no kernel to create the control files: pre-create the ones v1 checks for.
    s.create(l, 64L << 20, 32, 500);
    Path mem = root.resolve("sys/fs/cgroup/memory/svc/sub/stk-jt-b");
    assertThat(Files.readString(mem.resolve("memory.limit_in_bytes"))).isEqualTo(Long.toString(64L << 20));
    assertThat(Files.readString(root.resolve("sys/fs/cgroup/pids/svc/stk-jt-b/pids.max"))).as("32 + the stage").isEqualTo("33");
    assertThat(Files.readString(root.resolve("sys/fs/cgroup/cpu,cpuacct/stk-jt-b/cpu.cfs_quota_us"))).isEqualTo("50000");
    assertThat(Files.readString(root.resolve("sys/fs/cgroup/cpu,cpuacct/stk-jt-b/cpu.cfs_period_us"))).isEqualTo("100000");
  }
}
