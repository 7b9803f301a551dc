package io.stockade.supervisor.net;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How {@link LinuxNetworkManager} builds sandbox networks.
 *
 * @param hostNetns the namespace that plays "the host" (veth host ends, NAT, the host table);
 *     empty = the real host. Tests always pass a namespace they created.
 * @param pool IPv4 pool carved into one /29 per slot (a /30 veth link and a /30 guest link)
 * @param firstSlot first slot number handed out
 * @param slotCount how many slots exist; the pool must hold {@code firstSlot + slotCount} /29s
 * @param uplink interface in the host namespace that sandbox traffic is masqueraded to; empty = no
 *     NAT (the operator routes the pool)
 * @param resolver the only DNS server guests may use (port 53), empty = no DNS at all
 * @param stateDir directory for slot lease files (one per slot in use)
 * @param namePrefix prefix of every name this manager creates: namespaces {@code <prefix>-<slot>}
 *     under /run/netns, host veths {@code <prefix>h<slot>}; at most 9 characters so veth names stay
 *     within the kernel's 15
 * @param hostTable name of the host-side {@code inet} table
 * @param ip path of {@code ip} (iproute2)
 * @param nft path of {@code nft}
 * @param conntrack path of {@code conntrack}
 * @param nsenter path of {@code nsenter} (util-linux)
 * @param commandTimeout timeout of every helper command
 * @param dnsRefresh how often names in {@link EgressSpec#dnsNames()} are resolved again
 * @param poolSize slots kept built in advance (namespace, links, TAP, deny-all firewall), so that
 *     attach only fills in the allowlist, sets the TAP's owner and verifies; 0 = build on attach
 */
public record NetConfig(
    Optional<Path> hostNetns,
    String pool,
    int firstSlot,
    int slotCount,
    Optional<String> uplink,
    Optional<String> resolver,
    Path stateDir,
    String namePrefix,
    String hostTable,
    Path ip,
    Path nft,
    Path conntrack,
    Path nsenter,
    Duration commandTimeout,
    Duration dnsRefresh,
    int poolSize) {

  public NetConfig {
    Objects.requireNonNull(hostNetns, "hostNetns");
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(uplink, "uplink");
    Objects.requireNonNull(resolver, "resolver");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(commandTimeout, "commandTimeout");
    Objects.requireNonNull(dnsRefresh, "dnsRefresh");
    if (!namePrefix.matches("[a-z][a-z0-9-]{0,8}")) {
      throw new IllegalArgumentException(
          "namePrefix '" + namePrefix + "' must be 1-9 of [a-z0-9-], starting with a letter,"
              + " so that '<prefix>h<slot>' fits the kernel's 15-character interface names");
    }
    if (!hostTable.matches("[A-Za-z][A-Za-z0-9_-]{0,63}")) {
      throw new IllegalArgumentException("hostTable '" + hostTable + "' is not a valid nft name");
    }
    if (poolSize < 0 || poolSize > slotCount) {
      throw new IllegalArgumentException("poolSize " + poolSize + " must lie in 0.." + slotCount);
    }
    if (firstSlot < 0 || slotCount < 1 || firstSlot + slotCount > 10_000) {
      throw new IllegalArgumentException(
          "slots " + firstSlot + "+" + slotCount + " must lie in 0..9999 (names carry the slot)");
    }
  }

  /** Production defaults: the real host, pool 10.213.0.0/16, state under {@code stateDir}. */
  public static NetConfig defaults(Path stateDir) {
    return new NetConfig(
        Optional.empty(),
        "10.213.0.0/16",
        1,
        4000,
        Optional.empty(),
        Optional.empty(),
        stateDir,
        "stk",
        "stockade",
        Path.of("/usr/sbin/ip"),
        Path.of("/usr/sbin/nft"),
        Path.of("/usr/sbin/conntrack"),
        Path.of("/usr/bin/nsenter"),
        Duration.ofSeconds(5),
        Duration.ofSeconds(60),
        8);
  }

  public NetConfig withHostNetns(Path netns) {
    return new NetConfig(Optional.of(netns), pool, firstSlot, slotCount, uplink, resolver, stateDir,
        namePrefix, hostTable, ip, nft, conntrack, nsenter, commandTimeout, dnsRefresh, poolSize);
  }

  public NetConfig withNames(String prefix, String table) {
    return new NetConfig(hostNetns, pool, firstSlot, slotCount, uplink, resolver, stateDir, prefix,
        table, ip, nft, conntrack, nsenter, commandTimeout, dnsRefresh, poolSize);
  }

  public NetConfig withUplink(String iface) {
    return new NetConfig(hostNetns, pool, firstSlot, slotCount, Optional.of(iface), resolver,
        stateDir, namePrefix, hostTable, ip, nft, conntrack, nsenter, commandTimeout, dnsRefresh, poolSize);
  }

  public NetConfig withResolver(String address) {
    return new NetConfig(hostNetns, pool, firstSlot, slotCount, uplink, Optional.of(address),
        stateDir, namePrefix, hostTable, ip, nft, conntrack, nsenter, commandTimeout, dnsRefresh, poolSize);
  }

  public NetConfig withPoolSize(int size) {
    return new NetConfig(hostNetns, pool, firstSlot, slotCount, uplink, resolver, stateDir,
        namePrefix, hostTable, ip, nft, conntrack, nsenter, commandTimeout, dnsRefresh, size);
  }

  public NetConfig withPool(String cidr, int first, int count) {
    return new NetConfig(hostNetns, cidr, first, count, uplink, resolver, stateDir, namePrefix,
        hostTable, ip, nft, conntrack, nsenter, commandTimeout, dnsRefresh, poolSize);
  }
}
