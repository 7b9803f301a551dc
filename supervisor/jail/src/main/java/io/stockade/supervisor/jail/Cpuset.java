package io.stockade.supervisor.jail;

import io.stockade.policy.CpuList;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * CPU pinning through a sandbox's cpuset cgroup: the v2 {@code cpuset} controller where the
 * supervisor's v2 cgroup offers it, else the v1 {@code cpuset} hierarchy. The kernel applies a
 * cgroup's CPUs to every task in it and to every task forked in it, and {@code sched_setaffinity}
 * inside the cgroup can only narrow them (the kernel intersects the request with the cpuset:
 * sched_setaffinity(2), cpuset(7)), so a pinned workload cannot widen its own CPUs.
 */
final class Cpuset {
  private Cpuset() {}

  /** The CPUs a sandbox may be pinned to: those the supervisor's own cpuset cgroup has in effect. */
  record Available(CpuList cpus, Path file) {}

  /** Where CPUs are pinned under {@code layout}: "v2", "v1", or empty when the host has no cpuset controller. */
  static Optional<String> where(CgroupLayout layout) {
    if (layout.onV2("cpuset")) {
      return Optional.of("v2");
    }
    return layout.v1("cpuset").isPresent() ? Optional.of("v1") : Optional.empty();
  }

  /**
   * Reads the CPUs the supervisor's cgroup can hand out: v2 {@code cpuset.cpus.effective}, v1
   * {@code cpuset.effective_cpus} (the configured {@code cpuset.cpus} on kernels before 4.7,
   * which lack it).
   */
  static Available available(CgroupLayout layout) throws JailException {
    Path file;
    if (layout.onV2("cpuset")) {
      file = layout.v2().orElseThrow().resolve("cpuset.cpus.effective");
    } else {
      Path own = layout.v1("cpuset").orElseThrow(() -> noController(CpuList.NONE));
      file = Files.exists(own.resolve("cpuset.effective_cpus")) ? own.resolve("cpuset.effective_cpus") : own.resolve("cpuset.cpus");
    }
    return new Available(readList(file), file);
  }

  /**
   * Refuses a pinning that cannot be had, before anything of the sandbox exists: no cpuset
   * controller at all, or CPUs outside the supervisor's own cpuset (the kernel would refuse them
   * on v1 and silently fall back to the parent's CPUs on v2).
   */
  static void check(CgroupLayout layout, CpuList cpus) throws JailException {
    if (cpus.isEmpty()) {
      return;
    }
    if (where(layout).isEmpty()) {
      throw noController(cpus);
    }
    Available a = available(layout);
    if (!a.cpus().containsAll(cpus)) {
      throw new JailException("cgroup_cpuset", Errno.EINVAL, "cannot pin the sandbox to CPUs " + cpus + ": CPU(s) "
          + cpus.minus(a.cpus()) + " not available to sandboxes; the supervisor's cpuset (" + a.file() + ") holds "
          + (a.cpus().isEmpty() ? "none" : a.cpus()) + ": ask for CPUs within " + a.cpus()
          + ", or widen the supervisor's cpuset (and bring the CPUs online)");
    }
  }

  /**
   * Makes a new v1 cpuset cgroup joinable: the kernel refuses a task (ENOSPC) while its
   * cpuset.cpus or cpuset.mems is empty, and a new v1 cpuset cgroup starts with both empty
   * (unless the parent's cgroup.clone_children is set). It gets the parent's memory nodes and
   * CPUs: what an unpinned sandbox (or a pooled stage, which fits any sandbox) would have outside
   * it; {@link #pin} narrows the CPUs.
   */
  static void prepareV1(Path dir) throws JailException {
    Path parent = dir.getParent();
    write(dir.resolve("cpuset.mems"), readRaw(effective(parent, "mems")));
    write(dir.resolve("cpuset.cpus"), readRaw(effective(parent, "cpus")));
  }

  /**
   * Pins an existing sandbox cgroup ({@code dir}: its v2 cgroup or its v1 cpuset cgroup) to
   * {@code cpus} and reads back what the kernel put in effect: v1 rewrites the affinity of the
   * tasks already in the cgroup (a pooled stage), and v2 would quietly use the parent's CPUs if
   * the list did not fit, so the launch goes on only if the effective CPUs are exactly these.
   */
  static void pin(Path dir, boolean v2, CpuList cpus) throws JailException {
    write(dir.resolve("cpuset.cpus"), cpus.toString());
    Path eff = v2 ? dir.resolve("cpuset.cpus.effective") : effective(dir, "cpus");
    CpuList got = readList(eff);
    if (!got.equals(cpus)) {
      throw new JailException("cgroup_cpuset", Errno.EINVAL, "pinned the sandbox to CPUs " + cpus + " but " + eff
          + " says " + (got.isEmpty() ? "none" : got) + ": the supervisor's cpuset changed meanwhile, or a CPU went "
          + "offline; check /sys/devices/system/cpu/online and retry");
    }
  }

  private static Path effective(Path v1Dir, String what) {
    Path eff = v1Dir.resolve("cpuset.effective_" + what);
    return Files.exists(eff) ? eff : v1Dir.resolve("cpuset." + what);
  }

  private static JailException noController(CpuList cpus) {
    return new JailException("cgroup_cpuset", 0, "cannot pin the sandbox to CPUs " + cpus + ": the supervisor's cgroup "
        + "v2 has no cpuset controller and no v1 cpuset hierarchy holds it; enable cpuset in the parent's "
        + "cgroup.subtree_control (or mount the v1 cpuset hierarchy), or launch without CPU pinning");
  }

  private static String readRaw(Path file) throws JailException {
    try {
      return Files.readString(file).strip();
    } catch (IOException e) {
      throw new JailException("cgroup_cpuset", Errno.of(e), "read " + file + ": " + e.getMessage());
    }
  }

  private static CpuList readList(Path file) throws JailException {
    String text = readRaw(file);
    try {
      return CpuList.parse(text);
    } catch (IllegalArgumentException e) {
      throw new JailException("cgroup_cpuset", Errno.EINVAL, "read " + file + ": \"" + text + "\" is not a CPU list: "
          + e.getMessage(), e);
    }
  }

  private static void write(Path file, String value) throws JailException {
    try {
      Files.writeString(file, value);
    } catch (IOException e) {
      throw new JailException("cgroup_cpuset", Errno.of(e), "write \"" + value + "\" to " + file + ": "
          + e.getMessage() + ": the CPUs and memory nodes must be online, within the parent cgroup's, and not held "
          + "exclusively by another cgroup (cpuset.cpu_exclusive)");
    }
  }
}
