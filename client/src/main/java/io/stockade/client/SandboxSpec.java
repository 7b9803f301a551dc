package io.stockade.client;

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
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) int readyTimeoutSeconds) {

  public SandboxSpec {
    Objects.requireNonNull(kind, "kind");
    command = copyOf(command, "command");
    egress = copyOf(egress, "egress");
    dnsNames = copyOf(dnsNames, "dnsNames");
    if (vcpus < 0 || memoryMiB < 0 || readyTimeoutSeconds < 0) {
      throw new IllegalArgumentException(
          "vcpus, memoryMiB and readyTimeoutSeconds must not be negative (0 means the server's default)");
    }
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
