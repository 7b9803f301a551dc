package io.stockade.client;

import java.util.List;
import java.util.Objects;

/**
 * What to create. Zero numbers and null lists take the defaults below, so a caller (or a hand
 * written JSON message) states only what it cares about. Limits beyond "not negative" are the
 * server's and the policy's to enforce.
 *
 * @param kind what runs: a VM kind or process
 * @param name unique among the caller's sandboxes; null lets the server pick one
 * @param image catalog image name (or name:version); required for VM kinds, null for process
 * @param command process: argv with an absolute argv[0]; VMs: extra arguments for the guest's init
 * @param vcpus virtual CPUs, default {@value #DEFAULT_VCPUS}
 * @param memoryMiB memory, default {@value #DEFAULT_MEMORY_MIB}
 * @param egress destinations the sandbox may reach, default none
 * @param dnsNames host names it may resolve and reach
 * @param network give it a network interface at all
 * @param readyTimeoutSeconds how long Start waits for readiness, default {@value
 *     #DEFAULT_READY_TIMEOUT_SECONDS}
 */
public record SandboxSpec(
    SandboxKind kind,
    String name,
    String image,
    List<String> command,
    int vcpus,
    long memoryMiB,
    List<Egress> egress,
    List<String> dnsNames,
    boolean network,
    int readyTimeoutSeconds) {

  public static final int DEFAULT_VCPUS = 1;
  public static final long DEFAULT_MEMORY_MIB = 256;
  public static final int DEFAULT_READY_TIMEOUT_SECONDS = 60;

  public SandboxSpec {
    Objects.requireNonNull(kind, "kind");
    command = copyOf(command, "command");
    egress = copyOf(egress, "egress");
    dnsNames = copyOf(dnsNames, "dnsNames");
    if (vcpus < 0 || memoryMiB < 0 || readyTimeoutSeconds < 0) {
      throw new IllegalArgumentException(
          "vcpus, memoryMiB and readyTimeoutSeconds must not be negative (0 means default)");
    }
    vcpus = vcpus == 0 ? DEFAULT_VCPUS : vcpus;
    memoryMiB = memoryMiB == 0 ? DEFAULT_MEMORY_MIB : memoryMiB;
    readyTimeoutSeconds = readyTimeoutSeconds == 0 ? DEFAULT_READY_TIMEOUT_SECONDS : readyTimeoutSeconds;
  }

  /** A spec for a VM booting {@code image}, all else default. */
  public static SandboxSpec vm(SandboxKind kind, String image) {
    return new SandboxSpec(kind, null, image, null, 0, 0, null, null, false, 0);
  }

  /** A spec for a jailed process running {@code argv}, all else default. */
  public static SandboxSpec process(List<String> argv) {
    return new SandboxSpec(SandboxKind.PROCESS, null, null, argv, 0, 0, null, null, false, 0);
  }

  public SandboxSpec withName(String newName) {
    return new SandboxSpec(kind, newName, image, command, vcpus, memoryMiB, egress, dnsNames, network, readyTimeoutSeconds);
  }

  public SandboxSpec withResources(int newVcpus, long newMemoryMiB) {
    return new SandboxSpec(kind, name, image, command, newVcpus, newMemoryMiB, egress, dnsNames, network, readyTimeoutSeconds);
  }

  public SandboxSpec withNetwork(List<Egress> newEgress, List<String> newDnsNames) {
    return new SandboxSpec(kind, name, image, command, vcpus, memoryMiB, newEgress, newDnsNames, true, readyTimeoutSeconds);
  }

  public SandboxSpec withCommand(List<String> newCommand) {
    return new SandboxSpec(kind, name, image, newCommand, vcpus, memoryMiB, egress, dnsNames, network, readyTimeoutSeconds);
  }

  public SandboxSpec withReadyTimeoutSeconds(int seconds) {
    return new SandboxSpec(kind, name, image, command, vcpus, memoryMiB, egress, dnsNames, network, seconds);
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
