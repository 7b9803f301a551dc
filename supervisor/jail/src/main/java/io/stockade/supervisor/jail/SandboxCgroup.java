package io.stockade.supervisor.jail;

import io.stockade.policy.CpuList;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One sandbox's cgroups: a v2 cgroup (for cgroup.kill, cgroup.events and cpu.stat, which v2
 * offers even without controllers) plus, where v2 lacks a controller, a v1 cgroup for it. The
 * exec stage joins all of them before it does anything else.
 */
final class SandboxCgroup {
  private static final long CPU_PERIOD_US = 100_000;

  private final Optional<Path> v2;
  private final Optional<Path> memoryV1;
  private final Optional<Path> pidsV1;
  private final Optional<Path> cpuV1;
  private final Optional<Path> blkioV1;
  private final Optional<Path> cpusetV1;

  private SandboxCgroup(Optional<Path> v2, Optional<Path> memoryV1, Optional<Path> pidsV1, Optional<Path> cpuV1,
      Optional<Path> blkioV1, Optional<Path> cpusetV1) {
    this.v2 = v2;
    this.memoryV1 = memoryV1;
    this.pidsV1 = pidsV1;
    this.cpuV1 = cpuV1;
    this.blkioV1 = blkioV1;
    this.cpusetV1 = cpusetV1;
  }

  /**
   * I/O bandwidth limits and the whole-disk devices ("MAJ:MIN") they apply to.
   *
   * @param readBps bytes per second, 0 = unlimited
   * @param writeBps bytes per second, 0 = unlimited
   */
  record Io(long readBps, long writeBps, Set<String> devices) {
    static final Io NONE = new Io(0, 0, Set.of());

    /** Asked for: the controller must exist even when no device needs a line (refuse, never less). */
    boolean limited() {
      return readBps > 0 || writeBps > 0;
    }
  }

  /** The cgroups a sandbox named {@code name} has (or would have) under {@code layout}. */
  static SandboxCgroup of(CgroupLayout layout, String name) {
    return new SandboxCgroup(
        layout.v2().map(p -> p.resolve(name)),
        layout.v1("memory").map(p -> p.resolve(name)),
        layout.v1("pids").map(p -> p.resolve(name)),
        layout.v1("cpu").map(p -> p.resolve(name)),
        // Every sandbox joins a blkio and a cpuset v1 cgroup when the host has one, limited or
        // pinned or not, so pooled stages (which pre-join every v1 hierarchy) fit any sandbox.
        layout.v1("blkio").map(p -> p.resolve(name)),
        layout.v1("cpuset").map(p -> p.resolve(name)));
  }

  /** The v1 cpuset cgroup, which needs CPUs and memory nodes before a task can join it. */
  Optional<Path> cpusetV1() {
    return cpusetV1;
  }

  /** Every directory, v2 first: what the exec stage joins and cleanup removes. */
  List<Path> dirs() {
    Set<Path> all = new LinkedHashSet<>();
    v2.ifPresent(all::add);
    memoryV1.ifPresent(all::add);
    pidsV1.ifPresent(all::add);
    cpuV1.ifPresent(all::add);
    blkioV1.ifPresent(all::add);
    cpusetV1.ifPresent(all::add);
    return new ArrayList<>(all);
  }

  /** The v2 cgroup, which the workload is born in (the exec stage itself stays outside it). */
  Optional<Path> v2() {
    return v2;
  }

  /** The v1 cgroups, which the exec stage joins before it forks (the workload inherits them). */
  List<Path> v1Dirs() {
    List<Path> d = dirs();
    v2.ifPresent(d::remove);
    return d;
  }

  /**
   * Creates the cgroups and writes the limits, all before the exec stage forks the workload. A v1
   * pids cgroup also holds the stage's outer process, so it gets one more task than {@code pids}.
   *
   * @param pooledV1 a pooled exec stage's v1 cgroups (in the order of {@link #v1Dirs}), taken over
   *     by renaming them: the stage is already in them and gets its command line only afterwards
   * @param io I/O bandwidth limits (v2 io.max, else v1 blkio throttling; neither: refused)
   * @param cpus the CPUs to pin to (v2 cpuset, else v1 cpuset; neither, or CPUs the supervisor's
   *     own cpuset lacks: refused before any directory is made); {@link CpuList#NONE}: the v1
   *     cpuset cgroup, if any, gets the parent's CPUs
   */
  void create(CgroupLayout layout, List<Path> pooledV1, long memoryBytes, long pids, long cpuMillis, Io io,
      CpuList cpus) throws JailException {
    Cpuset.check(layout, cpus);
    List<Path> v1 = v1Dirs();
    boolean cpusetFromPool = false;
    for (Path d : dirs()) {
      int i = v1.indexOf(d);
      Path from = i >= 0 && i < pooledV1.size() ? pooledV1.get(i) : null;
      try {
        if (from != null) {
          Files.move(from, d);
          cpusetFromPool |= cpusetV1.equals(Optional.of(d)); // the pool gave it its CPUs and memory nodes
        } else {
          Files.createDirectory(d);
        }
      } catch (IOException e) {
        throw new JailException("cgroup_create", Errno.of(e), (from == null ? "mkdir " : "rename " + from + " to ") + d
            + ": " + e.getMessage() + ": the supervisor must own its cgroup subtree (systemd Delegate=yes)");
      }
    }
    Set<String> onV2 = layout.v2Controllers();
    if (v2.isPresent() && CgroupLayout.CONTROLLERS.stream().anyMatch(c -> onV2.contains(CgroupLayout.v2Name(c)))) {
      enableV2Controllers(v2.get().getParent(), onV2);
    }
    if (cpusetV1.isPresent() && !cpusetFromPool) {
      Cpuset.prepareV1(cpusetV1.get());
    }
    if (!cpus.isEmpty()) {
      boolean onV2Cpuset = layout.onV2("cpuset");
      Cpuset.pin(onV2Cpuset ? v2.orElseThrow() : cpusetV1.orElseThrow(), onV2Cpuset, cpus);
    }
    Path memDir = onV2.contains("memory") ? v2.orElse(null) : memoryV1.orElse(null);
    if (memDir == null) {
      throw new JailException("cgroup_controller", 0,
          "no memory controller in cgroup v2 or v1: memory limits cannot be enforced; enable the memory controller");
    }
    if (onV2.contains("memory")) {
      write(memDir.resolve("memory.max"), Long.toString(memoryBytes));
      writeIfPresent(memDir.resolve("memory.swap.max"), "0");
    } else {
      write(memDir.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
      writeIfPresent(memDir.resolve("memory.memsw.limit_in_bytes"), Long.toString(memoryBytes));
    }
    Path pidsDir = onV2.contains("pids") ? v2.orElse(null) : pidsV1.orElse(null);
    if (pidsDir == null) {
      throw new JailException("cgroup_controller", 0, "no pids controller in cgroup v2 or v1: enable the pids controller");
    }
    write(pidsDir.resolve("pids.max"), Long.toString(onV2.contains("pids") ? pids : pids + 1));
    if (cpuMillis > 0) {
      long quota = cpuMillis * CPU_PERIOD_US / 1000;
      if (onV2.contains("cpu")) {
        write(v2.orElseThrow().resolve("cpu.max"), quota + " " + CPU_PERIOD_US);
      } else if (cpuV1.isPresent()) {
        write(cpuV1.get().resolve("cpu.cfs_period_us"), Long.toString(CPU_PERIOD_US));
        write(cpuV1.get().resolve("cpu.cfs_quota_us"), Long.toString(quota));
      } else {
        throw new JailException("cgroup_controller", 0, "no cpu controller in cgroup v2 or v1: CPU limit " + cpuMillis + " cannot be enforced");
      }
    }
    if (io.limited()) {
      writeIo(layout, io);
    }
  }

  private void writeIo(CgroupLayout layout, Io io) throws JailException {
    if (layout.onV2("blkio") && v2.isPresent()) {
      for (String dev : io.devices()) {
        write(v2.get().resolve("io.max"), dev + " rbps=" + bps(io.readBps()) + " wbps=" + bps(io.writeBps()));
      }
    } else if (blkioV1.isPresent()) {
      for (String dev : io.devices()) {
        if (io.readBps() > 0) {
          write(blkioV1.get().resolve("blkio.throttle.read_bps_device"), dev + " " + io.readBps());
        }
        if (io.writeBps() > 0) {
          write(blkioV1.get().resolve("blkio.throttle.write_bps_device"), dev + " " + io.writeBps());
        }
      }
    } else {
      throw new JailException("cgroup_io", 0, "I/O limits (read " + io.readBps() + " B/s, write " + io.writeBps()
          + " B/s on " + io.devices() + ") cannot be enforced: the supervisor's cgroup v2 has no io controller and no v1 "
          + "blkio hierarchy holds it; enable io in the parent's cgroup.subtree_control (or mount blkio), or launch "
          + "without I/O limits");
    }
  }

  private static String bps(long v) {
    return v > 0 ? Long.toString(v) : "max";
  }

  private static void enableV2Controllers(Path parent, Set<String> available) throws JailException {
    Path control = parent.resolve("cgroup.subtree_control");
    try {
      String enabled = Files.readString(control);
      StringBuilder want = new StringBuilder();
      for (String c : CgroupLayout.CONTROLLERS) {
        String name = CgroupLayout.v2Name(c);
        if (available.contains(name) && !List.of(enabled.trim().split("\\s+")).contains(name)) {
          want.append('+').append(name).append(' ');
        }
      }
      if (want.length() > 0) {
        Files.writeString(control, want.toString().trim());
      }
    } catch (IOException e) {
      throw new JailException("cgroup_enable_controllers", Errno.of(e), "write " + control + ": " + e.getMessage()
          + ": a cgroup with processes cannot delegate controllers; move the supervisor into a leaf cgroup first");
    }
  }

  /** Kills every process in the sandbox: cgroup.kill, or signalling each pid of the v1 cgroup. */
  void killAll() {
    if (v2.isPresent() && Files.exists(v2.get().resolve("cgroup.kill"))) {
      try {
        Files.writeString(v2.get().resolve("cgroup.kill"), "1");
        return;
      } catch (IOException e) {
        // fall through to the per-pid loop, which works on every kernel
      }
    }
    for (int round = 0; round < 50 && populated(); round++) {
      for (long pid : pids()) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
      sleep(10);
    }
  }

  boolean populated() {
    if (v2.isPresent() && Files.exists(v2.get().resolve("cgroup.events"))) {
      try {
        return Files.readString(v2.get().resolve("cgroup.events")).contains("populated 1");
      } catch (NoSuchFileException e) {
        return false;
      } catch (IOException e) {
        return !pids().isEmpty();
      }
    }
    return !pids().isEmpty();
  }

  private List<Long> pids() {
    List<Long> out = new ArrayList<>();
    for (Path d : dirs()) {
      try {
        for (String l : Files.readAllLines(d.resolve("cgroup.procs"))) {
          if (!l.isBlank()) {
            out.add(Long.parseLong(l.trim()));
          }
        }
      } catch (IOException e) {
        // a cgroup that is gone has no processes
      }
    }
    return out;
  }

  /** Waits up to {@code millis} for the sandbox to hold no process. */
  boolean awaitEmpty(long millis) {
    long end = System.nanoTime() + millis * 1_000_000;
    while (populated()) {
      if (System.nanoTime() > end) {
        return false;
      }
      sleep(5);
    }
    return true;
  }

  /** Removes every directory that exists; returns those that could not be removed. */
  List<String> remove() {
    List<String> failed = new ArrayList<>();
    for (Path d : dirs()) {
      for (int attempt = 0; ; attempt++) {
        try {
          Files.deleteIfExists(d);
          break;
        } catch (IOException e) {
          if (attempt == 20) { // a just-killed process can keep a v1 cgroup busy for a moment
            failed.add(d + ": " + e.getMessage());
            break;
          }
          sleep(10);
        }
      }
    }
    return failed;
  }

  ResourceUsage usage() {
    return ResourceUsage.read(v2, memoryV1, pidsV1);
  }

  private static void write(Path file, String value) throws JailException {
    try {
      Files.writeString(file, value);
    } catch (IOException e) {
      throw new JailException("cgroup_write", Errno.of(e), "write \"" + value + "\" to " + file + ": " + e.getMessage());
    }
  }

  private static void writeIfPresent(Path file, String value) throws JailException {
    if (Files.exists(file)) {
      write(file, value);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
