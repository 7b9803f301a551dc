package io.stockade.client;

import java.util.List;

/**
 * The limits a sandbox was created with, after the policy and the server's defaults filled in
 * what the request left open: what it really gets, not what it asked for.
 *
 * @param pids the cgroup's pids.max; 0 when the driver's own default for its kind applies
 * @param ioReadBytesPerSec read bandwidth limit on its disks, bytes/s; 0 = none
 * @param ioWriteBytesPerSec write bandwidth limit, bytes/s; 0 = none
 * @param cpus host CPUs it is pinned to ("0-3,6"); null = not pinned
 * @param netBytesPerSec network rate limit, bytes/s in each direction; 0 = none
 * @param netPacketsPerSec network rate limit, packets/s in each direction; 0 = none
 * @param dataDisks its extra data disks, in the order the guest sees them
 * @param openFiles the open-files limit (RLIMIT_NOFILE) its policy sets; 0 = the driver's default
 *     (absent from a server that predates it)
 */
public record SandboxLimits(
    long pids,
    long ioReadBytesPerSec,
    long ioWriteBytesPerSec,
    String cpus,
    long netBytesPerSec,
    long netPacketsPerSec,
    List<DataDisk> dataDisks,
    long openFiles) {

  public SandboxLimits {
    dataDisks = SandboxSpec.copyOf(dataDisks, "dataDisks");
  }
}
