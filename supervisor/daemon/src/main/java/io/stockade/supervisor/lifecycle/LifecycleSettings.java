package io.stockade.supervisor.lifecycle;

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
    Duration termStop) {}
