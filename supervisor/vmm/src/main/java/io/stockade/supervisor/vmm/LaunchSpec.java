package io.stockade.supervisor.vmm;

import io.stockade.images.ResolvedImage;
import io.stockade.policy.CpuList;
import io.stockade.supervisor.net.SandboxNetwork;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What to launch. Built by the daemon after policy allowed the request.
 *
 * @param sandboxId the sandbox
 * @param vcpus virtual CPUs (for the process kind: CPU bandwidth in whole CPUs)
 * @param memoryMiB guest memory (process kind: cgroup memory limit)
 * @param image the verified image (empty for the process kind)
 * @param command the process kind's argv; for VMs, an optional command for the guest's init
 * @param network the sandbox's network, if it asked for one
 * @param sandboxDir a directory owned by the supervisor for this sandbox's disks and snapshots
 * @param readyTimeout how long the guest may take to print its readiness line
 * @param restoreFrom a snapshot directory to restore from instead of booting
 * @param dataDisks empty qcow2 data disks (host paths, created by the daemon in the sandbox's
 *     directory) to attach after the root disk, in order; drivers that cannot attach them refuse
 * @param pids the sandbox cgroup's pids.max (0 = the driver's own default for its kind)
 * @param ioReadBytesPerSec read bandwidth limit on the sandbox's disks, bytes/s (0 = unlimited)
 * @param ioWriteBytesPerSec write bandwidth limit, bytes/s (0 = unlimited); a host without an io
 *     (v2) or blkio (v1) controller refuses a launch that sets either
 * @param cpus the host CPUs the sandbox (the VMM and all its threads) may run on;
 *     {@link CpuList#NONE}: not pinned. A host without a cpuset controller refuses a launch that
 *     sets it
 * @param openFiles the open-files limit (RLIMIT_NOFILE) of the sandbox's processes; 0 = the
 *     driver's default
 */
public record LaunchSpec(
    String sandboxId,
    int vcpus,
    long memoryMiB,
    Optional<ResolvedImage> image,
    List<String> command,
    Optional<SandboxNetwork> network,
    Path sandboxDir,
    Duration readyTimeout,
    Optional<Path> restoreFrom,
    List<Path> dataDisks,
    long pids,
    long ioReadBytesPerSec,
    long ioWriteBytesPerSec,
    CpuList cpus,
    long openFiles) {

  /** A launch with the drivers' default open-files limit. */
  public LaunchSpec(String sandboxId, int vcpus, long memoryMiB, Optional<ResolvedImage> image,
      List<String> command, Optional<SandboxNetwork> network, Path sandboxDir, Duration readyTimeout,
      Optional<Path> restoreFrom, List<Path> dataDisks, long pids, long ioReadBytesPerSec,
      long ioWriteBytesPerSec, CpuList cpus) {
    this(sandboxId, vcpus, memoryMiB, image, command, network, sandboxDir, readyTimeout, restoreFrom,
        dataDisks, pids, ioReadBytesPerSec, ioWriteBytesPerSec, cpus, 0);
  }

  /** A launch that is not pinned to CPUs (the shape before cpusets). */
  public LaunchSpec(String sandboxId, int vcpus, long memoryMiB, Optional<ResolvedImage> image,
      List<String> command, Optional<SandboxNetwork> network, Path sandboxDir, Duration readyTimeout,
      Optional<Path> restoreFrom, List<Path> dataDisks, long pids, long ioReadBytesPerSec,
      long ioWriteBytesPerSec) {
    this(sandboxId, vcpus, memoryMiB, image, command, network, sandboxDir, readyTimeout, restoreFrom,
        dataDisks, pids, ioReadBytesPerSec, ioWriteBytesPerSec, CpuList.NONE);
  }

  /** A launch with the drivers' default pids limit and no I/O limits. */
  public LaunchSpec(String sandboxId, int vcpus, long memoryMiB, Optional<ResolvedImage> image,
      List<String> command, Optional<SandboxNetwork> network, Path sandboxDir, Duration readyTimeout,
      Optional<Path> restoreFrom, List<Path> dataDisks) {
    this(sandboxId, vcpus, memoryMiB, image, command, network, sandboxDir, readyTimeout, restoreFrom,
        dataDisks, 0, 0, 0);
  }

  /** A launch without data disks. */
  public LaunchSpec(String sandboxId, int vcpus, long memoryMiB, Optional<ResolvedImage> image,
      List<String> command, Optional<SandboxNetwork> network, Path sandboxDir, Duration readyTimeout,
      Optional<Path> restoreFrom) {
    this(sandboxId, vcpus, memoryMiB, image, command, network, sandboxDir, readyTimeout, restoreFrom,
        List.of());
  }

  public LaunchSpec {
    Objects.requireNonNull(sandboxId, "sandboxId");
    command = List.copyOf(command);
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(restoreFrom, "restoreFrom");
    dataDisks = dataDisks == null ? List.of() : List.copyOf(dataDisks);
    Objects.requireNonNull(cpus, "cpus");
    if (pids < 0 || ioReadBytesPerSec < 0 || ioWriteBytesPerSec < 0 || openFiles < 0) {
      throw new IllegalArgumentException("launch " + sandboxId + ": pids and I/O limits must be >= 0 "
          + "(0 = default): pids " + pids + ", io read " + ioReadBytesPerSec + ", io write " + ioWriteBytesPerSec);
    }
  }

  /** The pids limit to put in the jail: the requested one, or {@code kindDefault} when none was set. */
  public long pidsOr(long kindDefault) {
    return pids > 0 ? pids : kindDefault;
  }

  /** The open-files limit to put in the jail: the policy's, or {@code driverDefault} when it sets none. */
  public long openFilesOr(long driverDefault) {
    return openFiles > 0 ? openFiles : driverDefault;
  }
}
