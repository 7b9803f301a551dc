package io.stockade.client;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Objects;

/**
 * What to create. Zero numbers and null fields mean "the server's default" (its configuration's
 * {@code defaults.*}: 1 vCPU, 256 MiB, a 60 s readiness timeout and the default image as shipped),
 * so a caller, or a hand-written JSON message, states only what it cares about, and the operator's
 * defaults apply to the rest. Zero numbers are left out of the JSON. Limits beyond "not negative"
 * are the server's and the policy's to enforce.
 *
 * @param kind what runs: a VM kind or process
 * @param name unique among the caller's sandboxes; null lets the server pick one
 * @param image catalog image name (or name:version); null: the server's default image for VM
 *     kinds, none for process
 * @param command process: argv with an absolute argv[0]; VMs: extra arguments for the guest's init
 * @param vcpus virtual CPUs, 0 for the server's default
 * @param memoryMiB memory, 0 for the server's default
 * @param egress destinations the sandbox may reach, default none
 * @param dnsNames host names it may resolve and reach
 * @param network give it a network interface at all
 * @param readyTimeoutSeconds how long Start waits for readiness, 0 for the server's default
 * @param dataDisks extra empty data disks for VM kinds, default none (left out of the JSON when
 *     empty, so an older server still accepts the request)
 * @param pids the sandbox cgroup's process limit (pids.max), 0 for the server's default; the
 *     policy's {@code maxPids} caps it
 * @param ioReadBytesPerSec read bandwidth limit on the sandbox's disks, bytes/s; 0 for none (the
 *     policy's {@code maxIoBytesPerSec} then applies if it sets one, else the server's default)
 * @param ioWriteBytesPerSec likewise for writes (zero limits are left out of the JSON, so an older
 *     server still accepts a request that sets none)
 * @param cpus host CPUs to pin the sandbox to, in the kernel's list format ("0-3,6"); null for
 *     none (the policy's {@code cpus} then applies if it sets them, else the server's default)
 * @param netBytesPerSec network rate limit in bytes/s, each direction on its own; 0 for none (the
 *     policy's {@code maxNetBytesPerSec} then applies if it sets one, else the server's default)
 * @param netPacketsPerSec likewise in packets/s ({@code maxNetPacketsPerSec})
 */
public record SandboxSpec(
    SandboxKind kind,
    String name,
    String image,
    List<String> command,
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) int vcpus,
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) long memoryMiB,
    List<Egress> egress,
    List<String> dnsNames,
    boolean network,
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) int readyTimeoutSeconds,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<DataDisk> dataDisks,
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) long pids,
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) long ioReadBytesPerSec,
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) long ioWriteBytesPerSec,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) String cpus,
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) long netBytesPerSec,
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) long netPacketsPerSec) {

  @JsonCreator
  public SandboxSpec {
    Objects.requireNonNull(kind, "kind");
    command = copyOf(command, "command");
    egress = copyOf(egress, "egress");
    dnsNames = copyOf(dnsNames, "dnsNames");
    dataDisks = copyOf(dataDisks, "dataDisks");
    if (vcpus < 0 || memoryMiB < 0 || readyTimeoutSeconds < 0 || pids < 0 || ioReadBytesPerSec < 0
        || ioWriteBytesPerSec < 0 || netBytesPerSec < 0 || netPacketsPerSec < 0) {
      throw new IllegalArgumentException("vcpus, memoryMiB, readyTimeoutSeconds, pids, ioReadBytesPerSec, "
          + "ioWriteBytesPerSec, netBytesPerSec and netPacketsPerSec must not be negative (0 means the "
          + "server's default)");
    }
    // The server checks the list's syntax and the host's CPUs; blank is "none".
    cpus = cpus == null || cpus.isBlank() ? null : cpus.strip();
  }

  /** A spec without CPU pinning or network rate limits (the shape before they existed). */
  public SandboxSpec(SandboxKind kind, String name, String image, List<String> command, int vcpus,
      long memoryMiB, List<Egress> egress, List<String> dnsNames, boolean network,
      int readyTimeoutSeconds, List<DataDisk> dataDisks, long pids, long ioReadBytesPerSec,
      long ioWriteBytesPerSec) {
    this(kind, name, image, command, vcpus, memoryMiB, egress, dnsNames, network,
        readyTimeoutSeconds, dataDisks, pids, ioReadBytesPerSec, ioWriteBytesPerSec, null, 0, 0);
  }

  /** A spec without pids or I/O limits (the shape before they existed). */
  public SandboxSpec(SandboxKind kind, String name, String image, List<String> command, int vcpus,
      long memoryMiB, List<Egress> egress, List<String> dnsNames, boolean network,
      int readyTimeoutSeconds, List<DataDisk> dataDisks) {
    this(kind, name, image, command, vcpus, memoryMiB, egress, dnsNames, network,
        readyTimeoutSeconds, dataDisks, 0, 0, 0);
  }

  /** A spec without data disks (the shape before data disks existed). */
  public SandboxSpec(SandboxKind kind, String name, String image, List<String> command, int vcpus,
      long memoryMiB, List<Egress> egress, List<String> dnsNames, boolean network,
      int readyTimeoutSeconds) {
    this(kind, name, image, command, vcpus, memoryMiB, egress, dnsNames, network,
        readyTimeoutSeconds, List.of());
  }

  /** A spec for a VM booting {@code image} (null: the server's default image), all else default. */
  public static SandboxSpec vm(SandboxKind kind, String image) {
    return new SandboxSpec(kind, null, image, null, 0, 0, null, null, false, 0);
  }

  /** A spec for a jailed process running {@code argv}, all else default. */
  public static SandboxSpec process(List<String> argv) {
    return new SandboxSpec(SandboxKind.PROCESS, null, null, argv, 0, 0, null, null, false, 0);
  }

  public SandboxSpec withName(String newName) {
    return new SandboxSpec(kind, newName, image, command, vcpus, memoryMiB, egress, dnsNames, network, readyTimeoutSeconds, dataDisks, pids, ioReadBytesPerSec, ioWriteBytesPerSec, cpus, netBytesPerSec, netPacketsPerSec);
  }

  public SandboxSpec withResources(int newVcpus, long newMemoryMiB) {
    return new SandboxSpec(kind, name, image, command, newVcpus, newMemoryMiB, egress, dnsNames, network, readyTimeoutSeconds, dataDisks, pids, ioReadBytesPerSec, ioWriteBytesPerSec, cpus, netBytesPerSec, netPacketsPerSec);
  }

  public SandboxSpec withNetwork(List<Egress> newEgress, List<String> newDnsNames) {
    return new SandboxSpec(kind, name, image, command, vcpus, memoryMiB, newEgress, newDnsNames, true, readyTimeoutSeconds, dataDisks, pids, ioReadBytesPerSec, ioWriteBytesPerSec, cpus, netBytesPerSec, netPacketsPerSec);
  }

  public SandboxSpec withCommand(List<String> newCommand) {
    return new SandboxSpec(kind, name, image, newCommand, vcpus, memoryMiB, egress, dnsNames, network, readyTimeoutSeconds, dataDisks, pids, ioReadBytesPerSec, ioWriteBytesPerSec, cpus, netBytesPerSec, netPacketsPerSec);
  }

  public SandboxSpec withReadyTimeoutSeconds(int seconds) {
    return new SandboxSpec(kind, name, image, command, vcpus, memoryMiB, egress, dnsNames, network, seconds, dataDisks, pids, ioReadBytesPerSec, ioWriteBytesPerSec, cpus, netBytesPerSec, netPacketsPerSec);
  }

  /** The same spec with these extra data disks (empty: none). */
  public SandboxSpec withDataDisks(List<DataDisk> newDataDisks) {
    return new SandboxSpec(kind, name, image, command, vcpus, memoryMiB, egress, dnsNames, network,
        readyTimeoutSeconds, newDataDisks, pids, ioReadBytesPerSec, ioWriteBytesPerSec, cpus, netBytesPerSec,
        netPacketsPerSec);
  }

  /** The same spec with these pids and I/O limits (0: the server's default, or the policy's). */
  public SandboxSpec withLimits(long newPids, long newIoReadBytesPerSec, long newIoWriteBytesPerSec) {
    return new SandboxSpec(kind, name, image, command, vcpus, memoryMiB, egress, dnsNames, network,
        readyTimeoutSeconds, dataDisks, newPids, newIoReadBytesPerSec, newIoWriteBytesPerSec, cpus,
        netBytesPerSec, netPacketsPerSec);
  }

  /** The same spec pinned to these host CPUs ("0-3,6"; null: the policy's or server's default). */
  public SandboxSpec withCpus(String newCpus) {
    return new SandboxSpec(kind, name, image, command, vcpus, memoryMiB, egress, dnsNames, network,
        readyTimeoutSeconds, dataDisks, pids, ioReadBytesPerSec, ioWriteBytesPerSec, newCpus,
        netBytesPerSec, netPacketsPerSec);
  }

  /** The same spec with these network rate limits, each direction (0: the policy's or server's). */
  public SandboxSpec withNetRate(long newBytesPerSec, long newPacketsPerSec) {
    return new SandboxSpec(kind, name, image, command, vcpus, memoryMiB, egress, dnsNames, network,
        readyTimeoutSeconds, dataDisks, pids, ioReadBytesPerSec, ioWriteBytesPerSec, cpus,
        newBytesPerSec, newPacketsPerSec);
  }

  static <T> List<T> copyOf(List<T> list, String what) {
    if (list == null) {
      return List.of();
    }
    for (T t : list) {
      if (t == null) {
        throw new IllegalArgumentException(what + " must not contain null");
      }
    }
    return List.copyOf(list);
  }
}
