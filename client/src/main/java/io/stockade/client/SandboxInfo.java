package io.stockade.client;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A sandbox as the server reports it.
 *
 * @param id server-assigned id
 * @param name the caller's (or server's) name for it
 * @param kind what runs in it
 * @param ownerUid the uid that created it
 * @param state where it is in its life
 * @param reason why it is failed or stopped ("guest powered off", "SIGKILL after 10s", the failed
 *     step), null otherwise
 * @param exitStatus the process's or VMM's exit status (128+N for signal N), null while running
 * @param image the image it boots, null for process
 * @param vcpus virtual CPUs
 * @param memoryMiB memory
 * @param egress destinations it may reach now
 * @param dnsNames host names it may resolve now
 * @param createdAt when Create returned
 * @param startedAt when it last became running, null before
 * @param stoppedAt when it last ended, null before
 * @param network its network link, null without network
 * @param stats resource use, null when not measured (e.g. never started)
 * @param limits the limits it really has (null from a server that predates them)
 */
public record SandboxInfo(
    String id,
    String name,
    SandboxKind kind,
    int ownerUid,
    SandboxState state,
    String reason,
    Integer exitStatus,
    String image,
    int vcpus,
    long memoryMiB,
    List<Egress> egress,
    List<String> dnsNames,
    Instant createdAt,
    Instant startedAt,
    Instant stoppedAt,
    NetworkInfo network,
    SandboxStats stats,
    SandboxLimits limits) {

  public SandboxInfo {
    java.util.Objects.requireNonNull(id, "id");
    java.util.Objects.requireNonNull(state, "state");
    egress = SandboxSpec.copyOf(egress, "egress");
    dnsNames = SandboxSpec.copyOf(dnsNames, "dnsNames");
  }

  /** The same sandbox in another state, for servers building replies. */
  public SandboxInfo withState(SandboxState newState, String newReason) {
    return new SandboxInfo(id, name, kind, ownerUid, newState, newReason, exitStatus, image, vcpus,
        memoryMiB, egress, dnsNames, createdAt, startedAt, stoppedAt, network, stats, limits);
  }

  public Optional<NetworkInfo> networkInfo() {
    return Optional.ofNullable(network);
  }

  public Optional<SandboxLimits> limitsInfo() {
    return Optional.ofNullable(limits);
  }

  public Optional<SandboxStats> statsInfo() {
    return Optional.ofNullable(stats);
  }
}
