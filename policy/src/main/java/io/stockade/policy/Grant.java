package io.stockade.policy;

import java.util.List;
import java.util.Set;

/**
 * What one subject may do, merged from every policy entry that names it. A subject without a
 * grant may only call Ping.
 *
 * @param kinds sandbox kinds it may create (process, qemu, firecracker, cloud-hypervisor)
 * @param images image names (or name:version) it may boot; "*" allows every catalog image
 * @param maxSandboxes how many sandboxes it may hold at once (any state but destroyed)
 * @param maxVcpusPerSandbox vCPU limit per sandbox
 * @param maxMemoryMiBPerSandbox memory limit per sandbox
 * @param maxVcpusTotal vCPUs over all its sandboxes
 * @param maxMemoryMiBTotal memory over all its sandboxes
 * @param egress destinations its sandboxes may request
 * @param dnsNames host names its sandboxes may request (exact, or "*.example.org")
 * @param commands for the process kind: absolute paths of programs it may run; empty = none
 * @param maxDataDisks extra data disks one sandbox may request; 0 = none
 * @param maxDataDiskMiB size limit of each data disk
 * @param maxPids the largest pids limit a request may ask for; 0 = a request may not set one (the
 *     daemon's {@code defaults.pids} applies)
 * @param maxIoBytesPerSec the largest I/O bandwidth limit (bytes/s, each of read and write) a
 *     request may ask for; a request that sets none gets this as its limit. 0 = no cap: requests
 *     may set any limit or none
 * @param cpus the host CPUs its sandboxes may be pinned to; a request that names none is pinned to
 *     all of these. {@link CpuList#NONE}: no restriction (requests may pin to any CPU or none)
 * @param maxNetRate the largest network rate limit a request may ask for, per field (bytes/s,
 *     packets/s, each direction); a request that sets none in a field gets this as its limit there.
 *     0 in a field = no cap
 * @param openFiles the open-files limit (RLIMIT_NOFILE) of each of its sandboxes' processes: the
 *     policy sets it, a request cannot; 0 = the drivers' default (1024)
 */
public record Grant(
    Set<String> kinds,
    Set<String> images,
    int maxSandboxes,
    int maxVcpusPerSandbox,
    long maxMemoryMiBPerSandbox,
    int maxVcpusTotal,
    long maxMemoryMiBTotal,
    List<EgressRule> egress,
    List<String> dnsNames,
    List<String> commands,
    int maxDataDisks,
    long maxDataDiskMiB,
    long maxPids,
    long maxIoBytesPerSec,
    CpuList cpus,
    RateLimit maxNetRate,
    long openFiles) {

  /** A grant without an open-files limit of its own (the shape before it existed). */
  public Grant(Set<String> kinds, Set<String> images, int maxSandboxes, int maxVcpusPerSandbox,
      long maxMemoryMiBPerSandbox, int maxVcpusTotal, long maxMemoryMiBTotal,
      List<EgressRule> egress, List<String> dnsNames, List<String> commands, int maxDataDisks,
      long maxDataDiskMiB, long maxPids, long maxIoBytesPerSec, CpuList cpus, RateLimit maxNetRate) {
    this(kinds, images, maxSandboxes, maxVcpusPerSandbox, maxMemoryMiBPerSandbox, maxVcpusTotal,
        maxMemoryMiBTotal, egress, dnsNames, commands, maxDataDisks, maxDataDiskMiB, maxPids,
        maxIoBytesPerSec, cpus, maxNetRate, 0);
  }

  /** A grant without CPU or network rate fields (the shape before they existed). */
  public Grant(Set<String> kinds, Set<String> images, int maxSandboxes, int maxVcpusPerSandbox,
      long maxMemoryMiBPerSandbox, int maxVcpusTotal, long maxMemoryMiBTotal,
      List<EgressRule> egress, List<String> dnsNames, List<String> commands, int maxDataDisks,
      long maxDataDiskMiB, long maxPids, long maxIoBytesPerSec) {
    this(kinds, images, maxSandboxes, maxVcpusPerSandbox, maxMemoryMiBPerSandbox, maxVcpusTotal,
        maxMemoryMiBTotal, egress, dnsNames, commands, maxDataDisks, maxDataDiskMiB, maxPids,
        maxIoBytesPerSec, CpuList.NONE, RateLimit.NONE);
  }

  /** A grant without pids or I/O fields (the shape before they existed). */
  public Grant(Set<String> kinds, Set<String> images, int maxSandboxes, int maxVcpusPerSandbox,
      long maxMemoryMiBPerSandbox, int maxVcpusTotal, long maxMemoryMiBTotal,
      List<EgressRule> egress, List<String> dnsNames, List<String> commands, int maxDataDisks,
      long maxDataDiskMiB) {
    this(kinds, images, maxSandboxes, maxVcpusPerSandbox, maxMemoryMiBPerSandbox, maxVcpusTotal,
        maxMemoryMiBTotal, egress, dnsNames, commands, maxDataDisks, maxDataDiskMiB, 0, 0);
  }

  /**
   * The I/O limit a sandbox gets in one direction: what it asked for, or when it asked for none
   * (0), this grant's {@code maxIoBytesPerSec} (0: unlimited).
   */
  public long ioLimit(long requestedBytesPerSec) {
    return requestedBytesPerSec > 0 ? requestedBytesPerSec : maxIoBytesPerSec;
  }

  /** The CPUs a sandbox is pinned to: what it asked for, or when it asked for none, this grant's. */
  public CpuList cpusFor(CpuList requested) {
    return requested.isEmpty() ? cpus : requested;
  }

  /** The network rate limit a sandbox gets: its own, with this grant's caps where it set none. */
  public RateLimit netRateFor(RateLimit requested) {
    return requested.orElse(maxNetRate);
  }

  /** A grant without data disks (the shape before data disks existed). */
  public Grant(Set<String> kinds, Set<String> images, int maxSandboxes, int maxVcpusPerSandbox,
      long maxMemoryMiBPerSandbox, int maxVcpusTotal, long maxMemoryMiBTotal,
      List<EgressRule> egress, List<String> dnsNames, List<String> commands) {
    this(kinds, images, maxSandboxes, maxVcpusPerSandbox, maxMemoryMiBPerSandbox, maxVcpusTotal,
        maxMemoryMiBTotal, egress, dnsNames, commands, 0, 0);
  }

  public Grant {
    kinds = Set.copyOf(kinds);
    images = Set.copyOf(images);
    egress = List.copyOf(egress);
    dnsNames = List.copyOf(dnsNames);
    commands = List.copyOf(commands);
    java.util.Objects.requireNonNull(cpus, "cpus");
    java.util.Objects.requireNonNull(maxNetRate, "maxNetRate");
  }
}
