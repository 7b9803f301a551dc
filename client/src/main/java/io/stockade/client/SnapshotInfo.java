package io.stockade.client;

import java.time.Instant;
import java.util.Objects;

/**
 * A saved sandbox (memory and disks) that Restore can start again.
 *
 * @param id server-assigned id
 * @param name the caller's name for it
 * @param sandboxId the sandbox it was taken from
 * @param kind the VM kind it needs
 * @param image the image the sandbox booted
 * @param ownerUid who took it
 * @param vcpus the sandbox's vCPUs
 * @param memoryMiB the sandbox's memory
 * @param sizeBytes disk space the snapshot takes
 * @param createdAt when it was taken
 */
public record SnapshotInfo(
    String id,
    String name,
    String sandboxId,
    SandboxKind kind,
    String image,
    int ownerUid,
    int vcpus,
    long memoryMiB,
    long sizeBytes,
    Instant createdAt) {
  public SnapshotInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
  }
}
