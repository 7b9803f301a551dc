package io.stockade.supervisor.net;

import java.nio.file.Path;

/**
 * Names and addresses of one slot. Each slot owns a /29 of the pool: a /30 for the veth link
 * (host end .1, sandbox end .2) and a /30 for the guest link (gateway on the TAP .5, guest .6).
 * Everything derives from the slot number, so a restarted supervisor can find and remove what a
 * lease names without any other state.
 */
record SlotAddresses(
    int slot,
    String netnsName,
    String hostVeth,
    long hostVethAddress,
    long sandboxVethAddress,
    long gateway,
    long guest,
    String guestMac,
    String gatewayMac,
    String workloadNetnsName) {

  static final String SANDBOX_VETH = "up0";
  /** A process sandbox's interface, in its workload namespace (the VM's is named so too). */
  static final String WORKLOAD_ETH = "eth0";
  static final String TAP = "tap0";
  static final int LINK_PREFIX = 30;

  static SlotAddresses of(NetConfig config, int slot) {
    Ipv4.Range pool = Ipv4.cidr(config.pool());
    long base = pool.first() + 8L * slot;
    if (base + 7 > pool.last()) {
      throw new IllegalArgumentException("slot " + slot + " does not fit pool " + config.pool());
    }
    return new SlotAddresses(
        slot,
        config.namePrefix() + "-" + slot,
        config.namePrefix() + "h" + slot,
        base + 1,
        base + 2,
        base + 5,
        base + 6,
        mac(0x02, slot),
        mac(0x06, slot),
        config.namePrefix() + "-w" + slot);
  }

  /** Locally administered unicast MACs (bit 1 of the first octet set, bit 0 clear). */
  private static String mac(int first, int slot) {
    return String.format("%02x:73:74:6b:%02x:%02x", first, (slot >> 8) & 0xff, slot & 0xff);
  }

  Path netnsPath() {
    return Path.of("/run/netns", netnsName);
  }

  /**
   * The namespace a process sandbox runs in, nested behind the sandbox namespace (see {@link
   * WorkloadLink}); exists only while a process sandbox holds the slot.
   */
  Path workloadNetnsPath() {
    return Path.of("/run/netns", workloadNetnsName);
  }

  /** The guest link /30's first address (route target on the host). */
  long guestNet() {
    return guest & ~3L;
  }
}
