package io.stockade.supervisor.lifecycle;

import io.stockade.policy.CpuList;
import io.stockade.policy.RateLimit;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The lifecycle's share of the configuration.
 *
 * @param sandboxesDir one directory per sandbox (disks, console, snapshots in progress)
 * @param snapshotsDir one directory per snapshot; snapshots outlive their sandbox
 * @param defaultVcpus vCPUs when a request names none
 * @param defaultMemoryMiB memory when a request names none
 * @param defaultImage image for VM kinds when a request names none; empty = required
 * @param defaultReadyTimeoutSeconds how long Start waits for readiness by default
 * @param consoleLines console lines kept per sandbox
 * @param uidFirst first uid of the range workloads run as (one per sandbox)
 * @param uidCount size of that range: also the most sandboxes that can exist at once
 * @param gracefulStop how long Stop waits after asking the guest to power off
 * @param termStop how long Stop waits after SIGTERM before killing everything
 * @param defaultPids pids limit when a request names none; 0 = the driver's own (process 256,
 *     VMs 512)
 * @param defaultIoReadBytesPerSec read bandwidth limit when neither request nor grant sets one;
 *     0 = unlimited
 * @param defaultIoWriteBytesPerSec likewise for writes
 * @param defaultCpus CPUs a sandbox is pinned to when neither its request nor its grant names any;
 *     {@link CpuList#NONE}: not pinned
 * @param defaultNetRate network rate limit where neither request nor grant sets one
 */
public record LifecycleSettings(
    Path sandboxesDir,
    Path snapshotsDir,
    int defaultVcpus,
    long defaultMemoryMiB,
    String defaultImage,
    int defaultReadyTimeoutSeconds,
    int consoleLines,
    int uidFirst,
    int uidCount,
    Duration gracefulStop,
    Duration termStop,
    long defaultPids,
    long defaultIoReadBytesPerSec,
    long defaultIoWriteBytesPerSec,
    CpuList defaultCpus,
    RateLimit defaultNetRate) {

  public LifecycleSettings {
    java.util.Objects.requireNonNull(defaultCpus, "defaultCpus");
    java.util.Objects.requireNonNull(defaultNetRate, "defaultNetRate");
  }

  /** Settings that pin nothing and limit no network rate by default. */
  public LifecycleSettings(Path sandboxesDir, Path snapshotsDir, int defaultVcpus, long defaultMemoryMiB,
      String defaultImage, int defaultReadyTimeoutSeconds, int consoleLines, int uidFirst, int uidCount,
      Duration gracefulStop, Duration termStop, long defaultPids, long defaultIoReadBytesPerSec,
      long defaultIoWriteBytesPerSec) {
    this(sandboxesDir, snapshotsDir, defaultVcpus, defaultMemoryMiB, defaultImage, defaultReadyTimeoutSeconds,
        consoleLines, uidFirst, uidCount, gracefulStop, termStop, defaultPids, defaultIoReadBytesPerSec,
        defaultIoWriteBytesPerSec, CpuList.NONE, RateLimit.NONE);
  }

  /** Settings with the drivers' pids limits and no I/O limits by default. */
  public LifecycleSettings(Path sandboxesDir, Path snapshotsDir, int defaultVcpus, long defaultMemoryMiB,
      String defaultImage, int defaultReadyTimeoutSeconds, int consoleLines, int uidFirst, int uidCount,
      Duration gracefulStop, Duration termStop) {
    this(sandboxesDir, snapshotsDir, defaultVcpus, defaultMemoryMiB, defaultImage, defaultReadyTimeoutSeconds,
        consoleLines, uidFirst, uidCount, gracefulStop, termStop, 0, 0, 0);
  }
}
