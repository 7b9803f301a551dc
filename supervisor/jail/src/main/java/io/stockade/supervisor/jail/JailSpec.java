package io.stockade.supervisor.jail;

import io.stockade.policy.CpuList;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a jail is built from. Drivers build one per sandbox; the launcher validates it
 * before anything is created (canonical paths, the executable is a regular file, ids are safe).
 *
 * @param sandboxId unique id of the sandbox; [a-z0-9-], at most 32 characters
 * @param executable host path of the program to run; it is made visible inside the jail
 * @param argv arguments, argv[0] first, as the workload sees them (paths inside the jail)
 * @param env the workload's whole environment (nothing is inherited from the supervisor)
 * @param mounts host files or directories to bind into the jail
 * @param devices device nodes to create in the jail's /dev (e.g. "kvm", "net/tun", "urandom")
 * @param netns host path of the network namespace to enter (e.g. /run/netns/stk-...), if any
 * @param limits resource limits for the sandbox's cgroup and rlimits
 * @param seccompProfile name of the seccomp allowlist profile: process, qemu, firecracker,
 *     cloud-hypervisor
 * @param userNamespace run inside a user namespace that maps only the sandbox's uid/gid
 * @param workDir working directory inside the jail
 */
public record JailSpec(
    String sandboxId,
    Path executable,
    List<String> argv,
    Map<String, String> env,
    List<Mount> mounts,
    List<String> devices,
    Optional<Path> netns,
    Limits limits,
    String seccompProfile,
    boolean userNamespace,
    String workDir) {

  public JailSpec {
    Objects.requireNonNull(sandboxId, "sandboxId");
    Objects.requireNonNull(executable, "executable");
    argv = List.copyOf(argv);
    env = Map.copyOf(env);
    mounts = List.copyOf(mounts);
    devices = List.copyOf(devices);
    Objects.requireNonNull(netns, "netns");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(seccompProfile, "seccompProfile");
    Objects.requireNonNull(workDir, "workDir");
  }

  /**
   * A bind mount into the jail.
   *
   * @param hostPath what to bind (file or directory)
   * @param jailPath where it appears inside the jail (absolute, no "..")
   * @param writable false binds it read-only
   */
  public record Mount(Path hostPath, String jailPath, boolean writable) {}

  /**
   * Resource limits. A value of 0 means "not limited" only for the optional ones; memory and
   * pids are always limited.
   *
   * @param cpuMillis CPU bandwidth in thousandths of a CPU (1000 = one whole CPU), 0 = unlimited
   * @param memoryBytes memory limit (swap off)
   * @param pids maximum number of tasks
   * @param openFiles RLIMIT_NOFILE
   * @param fileSizeBytes RLIMIT_FSIZE, 0 = unlimited
   * @param ioReadBytesPerSec read bandwidth on each block device backing the jail directory and
   *     the bind mounts (cgroup v2 io.max rbps, else v1 blkio.throttle.read_bps_device), 0 = unlimited
   * @param ioWriteBytesPerSec write bandwidth on the same devices (wbps), 0 = unlimited
   * @param cpus the CPUs the sandbox may run on (its cgroup's cpuset.cpus, v2 cpuset else v1);
   *     {@link CpuList#NONE}: not pinned (it inherits the supervisor's CPUs)
   */
  public record Limits(long cpuMillis, long memoryBytes, long pids, long openFiles, long fileSizeBytes,
      long ioReadBytesPerSec, long ioWriteBytesPerSec, CpuList cpus) {

    public Limits {
      if (ioReadBytesPerSec < 0 || ioWriteBytesPerSec < 0) {
        throw new IllegalArgumentException("I/O limits must be >= 0 (0 = unlimited): read "
            + ioReadBytesPerSec + ", write " + ioWriteBytesPerSec);
      }
      Objects.requireNonNull(cpus, "cpus");
    }

    /** Limits without I/O bandwidth limits or CPU pinning (the form that predates them). */
    public Limits(long cpuMillis, long memoryBytes, long pids, long openFiles, long fileSizeBytes) {
      this(cpuMillis, memoryBytes, pids, openFiles, fileSizeBytes, 0, 0, CpuList.NONE);
    }

    /** The same limits with these I/O bandwidths (bytes per second, 0 = unlimited). */
    public Limits withIo(long readBytesPerSec, long writeBytesPerSec) {
      return new Limits(cpuMillis, memoryBytes, pids, openFiles, fileSizeBytes, readBytesPerSec, writeBytesPerSec, cpus);
    }

    /** The same limits, pinned to {@code newCpus} ({@link CpuList#NONE}: not pinned). */
    public Limits withCpus(CpuList newCpus) {
      return new Limits(cpuMillis, memoryBytes, pids, openFiles, fileSizeBytes, ioReadBytesPerSec, ioWriteBytesPerSec, newCpus);
    }

    /** Whether any I/O bandwidth limit is asked for. */
    public boolean limitsIo() {
      return ioReadBytesPerSec > 0 || ioWriteBytesPerSec > 0;
    }
  }
}
