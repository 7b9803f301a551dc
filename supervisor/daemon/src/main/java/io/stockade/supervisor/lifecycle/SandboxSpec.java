package io.stockade.supervisor.lifecycle;

import io.stockade.policy.EgressRule;
import java.util.List;
import java.util.Objects;

/**
 * What a sandbox was created from, after defaults were applied and the request validated. Stored
 * in the sandbox's state file; the wire protocol's SandboxSpec maps onto it.
 *
 * @param kind process, qemu, firecracker or cloud-hypervisor (wire name)
 * @param name unique among the owner's sandboxes
 * @param image catalog reference; empty for the process kind
 * @param command the process kind's argv; for VMs, extra arguments for the guest's init
 * @param vcpus virtual CPUs (process kind: CPU bandwidth in whole CPUs)
 * @param memoryMiB memory limit
 * @param egress allowed destinations (policy proved them permitted)
 * @param dnsNames host names the sandbox may resolve
 * @param network whether the sandbox gets a network interface at all
 * @param readyTimeoutSeconds how long Start waits for readiness
 */
public record SandboxSpec(
    String kind,
    String name,
    String image,
    List<String> command,
    int vcpus,
    long memoryMiB,
    List<EgressRule> egress,
    List<String> dnsNames,
    boolean network,
    int readyTimeoutSeconds) {

  public SandboxSpec {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    image = image == null ? "" : image;
    command = command == null ? List.of() : List.copyOf(command);
    egress = egress == null ? List.of() : List.copyOf(egress);
    dnsNames = dnsNames == null ? List.of() : List.copyOf(dnsNames);
  }

  SandboxSpec withEgress(List<EgressRule> newEgress, List<String> newDnsNames) {
    return new SandboxSpec(
        kind, name, image, command, vcpus, memoryMiB, newEgress, newDnsNames, network, readyTimeoutSeconds);
  }

  SandboxSpec withName(String newName) {
    return new SandboxSpec(
        kind, newName, image, command, vcpus, memoryMiB, egress, dnsNames, network, readyTimeoutSeconds);
  }
}
