package io.stockade.supervisor.lifecycle;

import com.fasterxml.jackson.annotation.JsonCreator;
import io.stockade.policy.CpuList;
import io.stockade.policy.EgressRule;
import io.stockade.policy.RateLimit;
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
 * @param dataDiskMiB sizes of the extra data disks (qemu kind), created at the first Start in the
 *     sandbox's directory as data-N.qcow2; empty for none (and in state files written before)
 * @param pids the requested pids limit; 0 = the daemon's {@code defaults.pids} at launch
 * @param ioReadBytesPerSec the read bandwidth limit (after the grant's cap filled in a missing
 *     one); 0 = {@code defaults.ioReadBytesPerSec} at launch
 * @param ioWriteBytesPerSec likewise for writes
 * @param cpus host CPUs it is pinned to, canonical list ("0-3,6"); after admission the grant's or
 *     {@code defaults.cpus} filled in a request that named none; "" = not pinned
 * @param netBytesPerSec network rate limit, bytes/s each direction (after admission: with the
 *     grant's cap or {@code defaults.netBytesPerSec} filled in); 0 = none
 * @param netPacketsPerSec likewise in packets/s
 * @param openFiles the open-files limit its grant sets (fixed at admission); 0 = the driver's
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
    int readyTimeoutSeconds,
    List<Long> dataDiskMiB,
    long pids,
    long ioReadBytesPerSec,
    long ioWriteBytesPerSec,
    String cpus,
    long netBytesPerSec,
    long netPacketsPerSec,
    long openFiles) {

  @JsonCreator
  public SandboxSpec {
    // State files written before CPU pinning have no cpus: not pinned.
    cpus = cpus == null ? "" : cpus;
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    image = image == null ? "" : image;
    command = command == null ? List.of() : List.copyOf(command);
    egress = egress == null ? List.of() : List.copyOf(egress);
    dnsNames = dnsNames == null ? List.of() : List.copyOf(dnsNames);
    dataDiskMiB = dataDiskMiB == null ? List.of() : List.copyOf(dataDiskMiB);
  }

  /** A spec without CPU pinning or network rate limits. */
  public SandboxSpec(String kind, String name, String image, List<String> command, int vcpus,
      long memoryMiB, List<EgressRule> egress, List<String> dnsNames, boolean network,
      int readyTimeoutSeconds, List<Long> dataDiskMiB, long pids, long ioReadBytesPerSec,
      long ioWriteBytesPerSec) {
    this(kind, name, image, command, vcpus, memoryMiB, egress, dnsNames, network,
        readyTimeoutSeconds, dataDiskMiB, pids, ioReadBytesPerSec, ioWriteBytesPerSec, "", 0, 0, 0);
  }

  /** A spec without pids or I/O limits. */
  public SandboxSpec(String kind, String name, String image, List<String> command, int vcpus,
      long memoryMiB, List<EgressRule> egress, List<String> dnsNames, boolean network,
      int readyTimeoutSeconds, List<Long> dataDiskMiB) {
    this(kind, name, image, command, vcpus, memoryMiB, egress, dnsNames, network,
        readyTimeoutSeconds, dataDiskMiB, 0, 0, 0);
  }

  /** A spec without data disks. */
  public SandboxSpec(String kind, String name, String image, List<String> command, int vcpus,
      long memoryMiB, List<EgressRule> egress, List<String> dnsNames, boolean network,
      int readyTimeoutSeconds) {
    this(kind, name, image, command, vcpus, memoryMiB, egress, dnsNames, network,
        readyTimeoutSeconds, List.of());
  }

  SandboxSpec withEgress(List<EgressRule> newEgress, List<String> newDnsNames) {
    return new SandboxSpec(
        kind, name, image, command, vcpus, memoryMiB, newEgress, newDnsNames, network, readyTimeoutSeconds, dataDiskMiB,
        pids, ioReadBytesPerSec, ioWriteBytesPerSec, cpus, netBytesPerSec, netPacketsPerSec, openFiles);
  }

  SandboxSpec withIo(long read, long write) {
    return new SandboxSpec(kind, name, image, command, vcpus, memoryMiB, egress, dnsNames, network,
        readyTimeoutSeconds, dataDiskMiB, pids, read, write, cpus, netBytesPerSec, netPacketsPerSec, openFiles);
  }

  SandboxSpec withPlacement(CpuList newCpus, RateLimit newNetRate) {
    return new SandboxSpec(kind, name, image, command, vcpus, memoryMiB, egress, dnsNames, network,
        readyTimeoutSeconds, dataDiskMiB, pids, ioReadBytesPerSec, ioWriteBytesPerSec, newCpus.toString(),
        newNetRate.bytesPerSecond(), newNetRate.packetsPerSecond(), openFiles);
  }

  SandboxSpec withOpenFiles(long newOpenFiles) {
    return new SandboxSpec(kind, name, image, command, vcpus, memoryMiB, egress, dnsNames, network,
        readyTimeoutSeconds, dataDiskMiB, pids, ioReadBytesPerSec, ioWriteBytesPerSec, cpus, netBytesPerSec,
        netPacketsPerSec, newOpenFiles);
  }

  /** The CPUs it is pinned to ({@link CpuList#NONE}: not pinned). */
  CpuList cpuList() {
    return CpuList.parse(cpus);
  }

  /** Its network rate limit. */
  RateLimit netRate() {
    return new RateLimit(netBytesPerSec, netPacketsPerSec);
  }

  SandboxSpec withName(String newName) {
    return new SandboxSpec(
        kind, newName, image, command, vcpus, memoryMiB, egress, dnsNames, network, readyTimeoutSeconds, dataDiskMiB,
        pids, ioReadBytesPerSec, ioWriteBytesPerSec, cpus, netBytesPerSec, netPacketsPerSec, openFiles);
  }
}
