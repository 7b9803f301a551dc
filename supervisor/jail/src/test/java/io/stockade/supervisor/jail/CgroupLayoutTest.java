package io.stockade.supervisor.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stockade.policy.CpuList;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
    s.create(l, List.of(), 64L << 20, 32, 500, SandboxCgroup.Io.NONE, CpuList.NONE);
    Path mem = root.resolve("sys/fs/cgroup/memory/svc/sub/stk-jt-b");
    assertThat(Files.readString(mem.resolve("memory.limit_in_bytes"))).isEqualTo(Long.toString(64L << 20));
    assertThat(Files.readString(root.resolve("sys/fs/cgroup/pids/svc/stk-jt-b/pids.max"))).as("32 + the stage").isEqualTo("33");
    assertThat(Files.readString(root.resolve("sys/fs/cgroup/cpu,cpuacct/stk-jt-b/cpu.cfs_quota_us"))).isEqualTo("50000");
    assertThat(Files.readString(root.resolve("sys/fs/cgroup/cpu,cpuacct/stk-jt-b/cpu.cfs_period_us"))).isEqualTo("100000");
  }

  @Test
  void ioLimitsGoToV1BlkioOnAHybridHostAndToIoMaxOnV2() throws Exception {
    write("proc/self/mountinfo", String.join("\n",
        "31 30 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw",
        "33 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory",
        "34 30 0:30 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids",
        "36 30 0:32 / /sys/fs/cgroup/blkio rw - cgroup cgroup rw,blkio", ""));
    write("proc/self/cgroup", "6:blkio:/svc\n5:pids:/svc\n4:memory:/svc\n0::/svc\n");
    write("sys/fs/cgroup/unified/svc/cgroup.controllers", "\n");
    CgroupLayout l = CgroupLayout.discover(root);
    assertThat(l.v1("blkio")).contains(root.resolve("sys/fs/cgroup/blkio/svc"));
    SandboxCgroup s = SandboxCgroup.of(l, "stk-io-a");
    assertThat(s.v1Dirs()).contains(root.resolve("sys/fs/cgroup/blkio/svc/stk-io-a"));
    for (Path d : s.dirs()) {
      Files.createDirectories(d.getParent());
    }
    s.create(l, List.of(), 64L << 20, 8, 0, new SandboxCgroup.Io(0, 1000, Set.of("8:0", "254:0")), CpuList.NONE);
    Path blkio = root.resolve("sys/fs/cgroup/blkio/svc/stk-io-a");
    // A fake file keeps only the last write; the kernel keeps one line per device.
    assertThat(Files.readString(blkio.resolve("blkio.throttle.write_bps_device"))).matches("(8:0|254:0) 1000");
    assertThat(blkio.resolve("blkio.throttle.read_bps_device")).doesNotExist();

    // A unified host with io: the limit goes to io.max, and +io is delegated to the sandbox.
    write("proc/self/mountinfo", "31 25 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    write("proc/self/cgroup", "0::/svc2\n");
    write("sys/fs/cgroup/svc2/cgroup.controllers", "cpu io memory pids\n");
    write("sys/fs/cgroup/svc2/cgroup.subtree_control", "\n");
    CgroupLayout u = CgroupLayout.discover(root);
    assertThat(u.onV2("blkio")).isTrue();
    assertThat(u.v1("blkio")).isEmpty();
    SandboxCgroup v = SandboxCgroup.of(u, "stk-io-b");
    v.create(u, List.of(), 64L << 20, 8, 0, new SandboxCgroup.Io(500, 0, Set.of("254:0")), CpuList.NONE);
    Path dir = root.resolve("sys/fs/cgroup/svc2/stk-io-b");
    assertThat(Files.readString(dir.resolve("io.max"))).isEqualTo("254:0 rbps=500 wbps=max");
    assertThat(Files.readString(root.resolve("sys/fs/cgroup/svc2/cgroup.subtree_control"))).contains("+io");
  }

  @Test
  void pinningGoesToTheV1CpusetWithTheParentsMemoryNodesOnAHybridHost() throws Exception {
    write("proc/self/mountinfo", String.join("\n",
        "31 30 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw",
        "33 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory",
        "34 30 0:30 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids",
        "37 30 0:33 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset", ""));
    write("proc/self/cgroup", "7:cpuset:/svc\n5:pids:/svc\n4:memory:/svc\n0::/svc\n");
    write("sys/fs/cgroup/unified/svc/cgroup.controllers", "\n");
    write("sys/fs/cgroup/cpuset/svc/cpuset.effective_cpus", "0-3\n");
    write("sys/fs/cgroup/cpuset/svc/cpuset.effective_mems", "0-1\n");
    CgroupLayout l = CgroupLayout.discover(root);
    assertThat(Cpuset.where(l)).contains("v1");
    assertThat(Cpuset.available(l).cpus()).isEqualTo(CpuList.parse("0-3"));
    SandboxCgroup s = SandboxCgroup.of(l, "stk-cps-a");
    Path cpuset = root.resolve("sys/fs/cgroup/cpuset/svc/stk-cps-a");
    assertThat(s.cpusetV1()).contains(cpuset);
    assertThat(s.v1Dirs()).contains(cpuset);
    for (Path d : s.dirs()) {
      Files.createDirectories(d.getParent());
    }
    s.create(l, List.of(), 64L << 20, 8, 0, SandboxCgroup.Io.NONE, CpuList.parse("2,3"));
    // The kernel refuses a task in a v1 cpuset cgroup whose mems is empty: the parent's are copied.
    assertThat(Files.readString(cpuset.resolve("cpuset.mems"))).isEqualTo("0-1");
    assertThat(Files.readString(cpuset.resolve("cpuset.cpus"))).isEqualTo("2-3");

    // Unpinned: the parent's CPUs, so the cgroup is joinable and the sandbox runs where the supervisor may.
    SandboxCgroup u = SandboxCgroup.of(l, "stk-cps-b");
    u.create(l, List.of(), 64L << 20, 8, 0, SandboxCgroup.Io.NONE, CpuList.NONE);
    assertThat(Files.readString(root.resolve("sys/fs/cgroup/cpuset/svc/stk-cps-b/cpuset.cpus"))).isEqualTo("0-3");

    // Beyond the parent's CPUs: refused before any directory exists.
    SandboxCgroup r = SandboxCgroup.of(l, "stk-cps-c");
    assertThatThrownBy(() -> r.create(l, List.of(), 64L << 20, 8, 0, SandboxCgroup.Io.NONE, CpuList.parse("3-5")))
        .isInstanceOfSatisfying(JailException.class, e -> {
          assertThat(e.step()).isEqualTo("cgroup_cpuset");
          assertThat(e.getMessage()).contains("CPU(s) 4-5 not available")
              .contains(root.resolve("sys/fs/cgroup/cpuset/svc/cpuset.effective_cpus") + ") holds 0-3");
        });
    for (Path d : r.dirs()) {
      assertThat(d).doesNotExist();
    }
  }

  @Test
  void pinningGoesToV2CpusetWhereV2OffersItAndIsReadBack() throws Exception {
    write("proc/self/mountinfo", "31 25 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    write("proc/self/cgroup", "0::/svc\n");
    write("sys/fs/cgroup/svc/cgroup.controllers", "cpuset cpu io memory pids\n");
    write("sys/fs/cgroup/svc/cgroup.subtree_control", "\n");
    write("sys/fs/cgroup/svc/cpuset.cpus.effective", "0-7\n");
    CgroupLayout l = CgroupLayout.discover(root);
    assertThat(Cpuset.where(l)).contains("v2");
    assertThat(l.v1("cpuset")).isEmpty();
    SandboxCgroup s = SandboxCgroup.of(l, "stk-cps-v");
    Path dir = root.resolve("sys/fs/cgroup/svc/stk-cps-v");
    // A fake cgroupfs has no kernel to fill in the new cgroup's cpuset.cpus.effective, so the
    // read-back finds none and refuses; what was written before it is what the kernel would get.
    assertThatThrownBy(() -> s.create(l, List.of(), 64L << 20, 8, 0, SandboxCgroup.Io.NONE, CpuList.of(6)))
        .isInstanceOfSatisfying(JailException.class, e -> {
          assertThat(e.step()).isEqualTo("cgroup_cpuset");
          assertThat(e.errno()).isEqualTo(Errno.ENOENT);
          assertThat(e.getMessage()).contains(dir.resolve("cpuset.cpus.effective").toString());
        });
    assertThat(Files.readString(dir.resolve("cpuset.cpus"))).isEqualTo("6");
    assertThat(Files.readString(root.resolve("sys/fs/cgroup/svc/cgroup.subtree_control"))).contains("+cpuset");

    // The test plays the kernel: effective = the request is accepted; v2 quietly falls back to
    // the parent's CPUs when the list does not fit, and that is refused.
    write("sys/fs/cgroup/svc/stk-cps-v/cpuset.cpus.effective", "6\n");
    Cpuset.pin(dir, true, CpuList.of(6));
    write("sys/fs/cgroup/svc/stk-cps-v/cpuset.cpus.effective", "0-7\n");
    assertThatThrownBy(() -> Cpuset.pin(dir, true, CpuList.of(6)))
        .isInstanceOfSatisfying(JailException.class, e -> {
          assertThat(e.step()).isEqualTo("cgroup_cpuset");
          assertThat(e.getMessage()).contains("pinned the sandbox to CPUs 6 but").contains("says 0-7");
        });
  }
}
