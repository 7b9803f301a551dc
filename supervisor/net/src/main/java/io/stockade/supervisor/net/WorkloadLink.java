package io.stockade.supervisor.net;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;
import java.util.Optional;

/**
 * Gives a process sandbox a "guest" of its own. The sandbox namespace's firewall is built for a
 * VM behind the TAP: guest packets come in on {@code tap0} and are filtered in prerouting
 * (anti-spoofing) and forward (allowlist), while the namespace's own {@code output} chain drops
 * everything. A process running in that namespace would send from {@code output} and reach
 * nothing. So the process runs one namespace further in, the workload namespace, and the TAP is
 * replaced by a veth of the same name whose peer {@code eth0} is there, configured as the kernel
 * {@code ip=} argument configures a VM (address, MAC, default route via the gateway). Every rule
 * matches by interface name, so the process's packets take exactly a VM's path, and the table
 * stays byte for byte the one a VM gets.
 */
final class WorkloadLink {
  private static final long PROBE_DESTINATION = TapProbe.PROBE_DESTINATION;
  /** What the slot's TAP is renamed to when a process takes the slot. */
  static final String PARKED_TAP = "tap0-parked";

  private final Commands cmd;

  WorkloadLink(Commands cmd) {
    this.cmd = cmd;
  }

  /**
   * Creates the workload namespace and swaps the slot's TAP for the veth into it. Nothing runs
   * in the workload namespace yet, so the moments without a link are unreachable. On failure
   * the caller tears the whole slot down (teardown removes the workload namespace too).
   */
  void plug(SlotAddresses a) throws NetworkException {
    String step = "create workload namespace";
    InNamespace.create(a.workloadNetnsPath(), step, () -> {
      // Before the veth exists, so eth0 is born without IPv6 (the firewall drops it anyway).
      InNamespace.writeSysctl(step, "net.ipv6.conf.all.disable_ipv6", "1");
      InNamespace.writeSysctl(step, "net.ipv6.conf.default.disable_ipv6", "1");
      // ICMP echo sockets for every uid (the jail's has no CAP_NET_RAW), so an allowlisted icmp
      // destination can be pinged as from a VM; the sandbox firewall still decides.
      InNamespace.writeSysctl(step, "net.ipv4.ping_group_range", "0 2147483647");
      return null;
    });
    String tap = SlotAddresses.TAP;
    String eth = SlotAddresses.WORKLOAD_ETH;
    String gateway = Ipv4.format(a.gateway());
    String guest = Ipv4.format(a.guest());
    String sandboxSide = String.join("\n",
        // The TAP is parked (down, renamed, no address) rather than deleted: deleting a device
        // waits for RCU grace periods under the RTNL lock, measured ~23 ms of a ~30 ms batch
        // here. Down, it refuses frames (tun returns EIO); no rule names it, no process of the
        // sandbox is in this namespace to open it, and it goes with the namespace at detach.
        "link set " + tap + " down",
        "addr flush dev " + tap,
        "link set " + tap + " name " + PARKED_TAP,
        "link add " + tap + " address " + a.gatewayMac() + " type veth peer name " + eth
            + " address " + a.guestMac() + " netns " + a.workloadNetnsName(),
        "addr add " + gateway + "/" + SlotAddresses.LINK_PREFIX + " dev " + tap,
        "link set " + tap + " up",
        "neigh replace " + guest + " lladdr " + a.guestMac() + " dev " + tap + " nud permanent",
        "");
    ipIn(a.netnsPath(), "replace TAP by workload veth", sandboxSide);
    String workloadSide = String.join("\n",
        "link set lo up",
        "addr add " + guest + "/" + SlotAddresses.LINK_PREFIX + " dev " + eth,
        "link set " + eth + " up",
        // Permanent: the first packet needs no ARP round trip, and a failed ARP could not pass
        // for the firewall's refusal in the probe (both surface as EHOSTUNREACH).
        "neigh replace " + gateway + " lladdr " + a.gatewayMac() + " dev " + eth
            + " nud permanent",
        "route add default via " + gateway + " dev " + eth,
        "");
    ipIn(a.workloadNetnsPath(), "configure workload link", workloadSide);
  }

  /**
   * One {@code ip -batch} in a namespace, started from this thread after it joined the namespace
   * (the child inherits it): one exec fewer than {@code nsenter --net= ip}.
   */
  private void ipIn(java.nio.file.Path netns, String step, String batch) throws NetworkException {
    InNamespace.run(Optional.of(netns), step, () -> cmd.ip(Optional.empty(), step, batch,
        "-batch", "-"));
  }

  /**
   * Connects from inside the workload namespace to the metadata address, as the process could:
   * the sandbox firewall must refuse it (ICMP admin-prohibited, seen as EHOSTUNREACH, or a TCP
   * reset). Attempts are repeated with fresh sockets until the deadline because the veth's queues
   * are activated by the kernel's link-watch work a moment after the link comes up, and a SYN
   * sent before that is lost. Returns null when refused, else what went wrong.
   */
  String probe(SlotAddresses a, int timeoutMs) throws NetworkException {
    InetSocketAddress target =
        new InetSocketAddress(Ipv4.format(PROBE_DESTINATION), 80);
    return InNamespace.run(Optional.of(a.workloadNetnsPath()), "probe denied egress", () -> {
      long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
      int wait = 20;
      while (System.nanoTime() < deadline) {
        // INET explicitly: a dual-stack socket would work too, but the namespace has no IPv6.
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.INET)) {
          ch.socket().connect(target, wait);
          return "connected to " + target + " from " + a.workloadNetnsPath();
        } catch (NoRouteToHostException | ConnectException refused) {
          return null;
        } catch (SocketTimeoutException again) {
          wait = Math.min(wait * 2, 500);
        } catch (IOException e) {
          return "connect to " + target + " failed otherwise than by a refusal: " + e;
        }
      }
      return "no refusal within " + timeoutMs + " ms for a connect to " + target;
    });
  }
}
