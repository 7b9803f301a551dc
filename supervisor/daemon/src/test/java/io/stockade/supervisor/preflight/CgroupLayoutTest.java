package io.stockade.supervisor.preflight;

import static org.assertj.core.api.Assertions.assertThat;

import io.stockade.supervisor.preflight.CheckResult.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cgroup discovery from a fake /proc and cgroupfs under an injected root. */
class CgroupLayoutTest {
  @TempDir Path root;

  private void write(String absolute, String text) throws IOException {
    PreflightHostTestSupport.write(root, absolute, text);
  }

  /** This machine's shape: v2 at /sys/fs/cgroup/unified without cpu/memory/pids, v1 beside it. */
  private void hybrid() throws IOException {
    write(
        "/proc/self/mountinfo",
        """
        22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
        35 31 0:32 /sandboxes /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw
        """);
    write(
        "/proc/self/cgroup",
        """
        9:name=systemd:/system.slice/stockade.service
        8:pids:/system.slice/stockade.service
        4:memory:/sandboxes/stockade
        2:cpu,cpuacct:/system.slice/stockade.service
        0::/system.slice/stockade.service
        """);
    write("/sys/fs/cgroup/unified/system.slice/stockade.service/cgroup.controllers", "hugetlb io\n");
    write("/sys/fs/cgroup/unified/system.slice/stockade.service/cgroup.subtree_control", "\n");
    write("/sys/fs/cgroup/unified/system.slice/stockade.service/cgroup.kill", "");
    write("/sys/fs/cgroup/cpu,cpuacct/system.slice/stockade.service/tasks", "");
    write("/sys/fs/cgroup/memory/stockade/tasks", "");
  }

  @Test
  void discoversOwnCgroupInEveryHierarchyRelativeToMountRoots() throws IOException {
    hybrid();
    CgroupLayout layout = CgroupLayout.discover(new HostRoot(root));
    assertThat(layout.v2Dir()).contains(root.resolve("sys/fs/cgroup/unified/system.slice/stockade.service"));
    assertThat(layout.v2Mount()).contains("/sys/fs/cgroup/unified");
    assertThat(layout.v1Dirs())
        .containsEntry("cpu", root.resolve("sys/fs/cgroup/cpu,cpuacct/system.slice/stockade.service"))
        .containsEntry("cpuacct", root.resolve("sys/fs/cgroup/cpu,cpuacct/system.slice/stockade.service"))
        // The memory hierarchy is mounted from /sandboxes: the path is relative to that root.
        .containsEntry("memory", root.resolve("sys/fs/cgroup/memory/stockade"))
        .containsEntry("pids", root.resolve("sys/fs/cgroup/pids/system.slice/stockade.service"))
        .doesNotContainKey("name=systemd");
  }

  @Test
  void v2ControllersAreOkV1OnlyWarnsNeitherFails() throws IOException {
    hybrid();
    List<CheckResult> results = CgroupChecks.check(new HostRoot(root));
    assertThat(PreflightHostTestSupport.statusOf(results, "cgroup.v2")).isEqualTo(Status.OK);
    assertThat(PreflightHostTestSupport.statusOf(results, "cgroup.kill")).isEqualTo(Status.OK);
    assertThat(PreflightHostTestSupport.statusOf(results, "cgroup.io")).isEqualTo(Status.OK);
    CheckResult memory = PreflightHostTestSupport.named(results, "cgroup.memory");
    assertThat(memory.status()).isEqualTo(Status.WARN);
    assertThat(memory.found())
        .isEqualTo("memory only on cgroup v1 at " + root.resolve("sys/fs/cgroup/memory/stockade")
            + " (cgroup2 at /sys/fs/cgroup/unified lacks memory)");
    assertThat(PreflightHostTestSupport.statusOf(results, "cgroup.cpu")).isEqualTo(Status.WARN);
    // pids: the v1 hierarchy is mounted but our cgroup directory does not exist there.
    CheckResult pids = PreflightHostTestSupport.named(results, "cgroup.pids");
    assertThat(pids.status()).isEqualTo(Status.FAIL);
    assertThat(pids.fatal()).isFalse();
    // cpuset: in neither hierarchy.
    assertThat(PreflightHostTestSupport.named(results, "cgroup.cpuset").found())
        .isEqualTo("cpuset controller unusable: cgroup2 at /sys/fs/cgroup/unified lacks cpuset, no v1 hierarchy");
  }

  @Test
  void noHierarchyAtAllIsFatal() throws IOException {
    write("/proc/self/mountinfo", "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n");
    write("/proc/self/cgroup", "0::/\n");
    List<CheckResult> results = CgroupChecks.check(new HostRoot(root));
    assertThat(results).hasSize(1);
    assertThat(results.get(0).name()).isEqualTo("cgroup.hierarchy");
    assertThat(results.get(0).fatal()).isTrue();
  }

  @Test
  void rootCgroupTellsKillSupportFromAChild() throws IOException {
    write("/proc/self/mountinfo", "41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    write("/proc/self/cgroup", "0::/\n");
    write("/sys/fs/cgroup/cgroup.controllers", "cpu memory pids io cpuset\n");
    write("/sys/fs/cgroup/init.scope/cgroup.kill", "");
    List<CheckResult> results = CgroupChecks.check(new HostRoot(root));
    assertThat(PreflightHostTestSupport.named(results, "cgroup.kill").found())
        .isEqualTo("supported (" + root.resolve("sys/fs/cgroup/init.scope/cgroup.kill") + ")");
    assertThat(results).filteredOn(r -> r.name().startsWith("cgroup.") && r.status() != Status.OK).isEmpty();
  }

  @Test
  void mountinfoEscapesAreDecoded() {
    assertThat(CgroupLayout.unescape("/mnt/with\\040space")).isEqualTo("/mnt/with space");
    assertThat(CgroupLayout.mounts("1 2 0:1 / /a\\040b rw - cgroup2 none rw\n"))
        .containsExactly(new CgroupLayout.Mount("/", "/a b", "cgroup2", List.of("rw")));
  }
}
