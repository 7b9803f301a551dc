package io.stockade.supervisor.net;

import java.nio.file.Path;
import java.util.List;

/**
 * What a sandbox's network looks like, for the VMM driver (which attaches the TAP) and the guest
 * (which is configured from {@link #kernelIpArgument()}).
 *
 * @param sandboxId the sandbox
 * @param slot index unique while in use; names and addresses derive from it
 * @param netnsPath host path of the namespace the workload runs in (bind mount under /run/netns):
 *     the sandbox namespace holding the TAP for a VM, the workload namespace behind it for a
 *     process ({@link NetworkManager#attachProcess})
 * @param tapName the TAP device inside the namespace; for a process, its interface {@code eth0}
 * @param mac the guest's MAC address (deterministic per slot, locally administered)
 * @param guestAddress the guest's IPv4 address
 * @param prefixLength prefix length of the guest's link subnet
 * @param gateway the guest's default gateway (the TAP side of the namespace)
 * @param dns resolvers the guest should use
 */
public record SandboxNetwork(
    String sandboxId,
    int slot,
    Path netnsPath,
    String tapName,
    String mac,
    String guestAddress,
    int prefixLength,
    String gateway,
    List<String> dns) {

  public SandboxNetwork {
    dns = List.copyOf(dns);
  }

  /**
   * The Linux kernel {@code ip=} argument that configures the guest's first interface:
   * {@code ip=<client>::<gateway>:<netmask>::eth0:off[:<dns0>]}.
   */
  public String kernelIpArgument() {
    long mask = prefixLength == 0 ? 0 : (0xffffffffL << (32 - prefixLength)) & 0xffffffffL;
    String netmask =
        ((mask >> 24) & 0xff) + "." + ((mask >> 16) & 0xff) + "." + ((mask >> 8) & 0xff) + "." + (mask & 0xff);
    String arg = "ip=" + guestAddress + "::" + gateway + ":" + netmask + "::eth0:off";
    return dns.isEmpty() ? arg : arg + ":" + dns.get(0);
  }
}
