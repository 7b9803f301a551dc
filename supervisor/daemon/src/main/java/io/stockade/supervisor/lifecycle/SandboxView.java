package io.stockade.supervisor.lifecycle;

import io.stockade.policy.EgressRule;
import java.util.List;

/**
 * A sandbox as its owner may see it (no host paths), the protocol's SandboxInfo.
 *
 * @param exitStatus null while it never ended
 * @param network null without a network
 * @param stats null unless asked for (Get) and running
 * @param limits the limits it has (after policy and defaults filled in the request's gaps)
 */
public record SandboxView(
    String id,
    String name,
    String kind,
    int ownerUid,
    SandboxState state,
    String reason,
    Integer exitStatus,
    String image,
    int vcpus,
    long memoryMiB,
    List<EgressRule> egress,
    List<String> dnsNames,
    String createdAt,
    String startedAt,
    String stoppedAt,
    PersistedSandbox.NetworkRecord network,
    Stats stats,
    Limits limits) {

  /** Resource use so far; -1 where unknown. */
  public record Stats(long cpuMicros, long memoryBytes, long txBytes, long rxBytes) {}

  /** See the protocol's SandboxLimits; pids 0 = the driver's default, cpus "" = not pinned. */
  public record Limits(long pids, long ioReadBytesPerSec, long ioWriteBytesPerSec, String cpus,
      long netBytesPerSec, long netPacketsPerSec, List<Long> dataDiskMiB, long openFiles) {}
}
