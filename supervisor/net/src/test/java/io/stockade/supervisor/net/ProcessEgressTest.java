package io.stockade.supervisor.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.stockade.policy.EgressRule;
import io.stockade.policy.RateLimit;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Real packets from a process sandbox: programs run (through {@code ip netns exec}) in the
 * workload namespace {@link LinuxNetworkManager#attachProcess} returns, with no test-made guest
 * in between, and meet the same firewall a VM's guest does.
 */
class ProcessEgressTest extends ManagerFixture {
  private static final Duration FLOOD = Duration.ofMillis(1500);

  @Override
  String prefix() {
    return "stk-pn";
  }

  private static EgressSpec allow(RateLimit rate, EgressRule... rules) {
    return new EgressSpec(List.of(rules), List.of(), rate);
  }

  private static String ns(SandboxNetwork n) {
    return n.netnsPath().getFileName().toString();
  }

  @Test
  void aProcessSeesAGuestsLinkAndReachesOnlyWhatItsEgressAllows() throws Exception {
    SandboxNetwork n = manager.attachProcess("p-1", 4242, 4242, allow(RateLimit.NONE,
        new EgressRule("198.51.100.0/24", "tcp", 80, 80),
        new EgressRule("0.0.0.0/0", "tcp", 443, 443)));
    String w = ns(n);
    assertThat(w).isEqualTo(bed.prefix + "-w" + n.slot());
    assertThat(n.tapName()).isEqualTo("eth0");
    assertThat(TestBed.sh("ip", "-n", w, "-o", "link", "show"))
        .contains("eth0").contains(n.mac()).doesNotContain("tap0");
    assertThat(TestBed.sh("ip", "-n", w, "-o", "-4", "addr", "show", "dev", "eth0"))
        .contains(n.guestAddress() + "/30");
    assertThat(TestBed.sh("ip", "-n", w, "route", "show", "default"))
        .contains("via " + n.gateway());
    assertThat(TestBed.sh("ip", "-n", w, "-6", "addr", "show")).as("no IPv6").isBlank();
    String sbx = bed.prefix + "-" + n.slot();
    assertThat(TestBed.sh("ip", "-n", sbx, "-d", "link", "show", "tap0")).contains("veth");
    assertThat(TestBed.sh("ip", "-n", sbx, "-o", "-d", "link", "show", WorkloadLink.PARKED_TAP))
        .as("the TAP, parked").contains("state DOWN").contains("tun type tap")
        .doesNotContain("inet ");

    SandboxNetwork other = manager.attachProcess("p-2", 4243, 4243,
        allow(RateLimit.NONE, new EgressRule("0.0.0.0/0", "tcp", 1, 65535)));
    bed.listen(bed.inetNs, "198.51.100.1", 80);
    bed.listen(bed.inetNs, "0.0.0.0", 81);
    bed.listen(bed.inetNs, "0.0.0.0", 443);
    bed.listen(bed.hostNs, "0.0.0.0", 2222);
    bed.listen(ns(other), "0.0.0.0", 443);

    assertThat(bed.connects(w, "198.51.100.1", 80)).as("allowed").isTrue();
    assertThat(bed.connects(w, "198.51.100.1", 443)).as("allowed by 0/0").isTrue();
    assertThat(bed.connects(w, "198.51.100.1", 81)).as("denied port").isFalse();
    assertThat(bed.connects(w, "10.99.0.1", 443)).as("RFC1918 not named").isFalse();
    assertThat(bed.connects(w, "169.254.169.254", 443)).as("metadata").isFalse();
    assertThat(bed.connects(w, "198.51.100.254", 2222)).as("the host").isFalse();
    assertThat(bed.connects(w, "10.213.0.1", 2222)).as("the host's veth").isFalse();
    assertThat(bed.connects(w, n.gateway(), 443)).as("its own gateway").isFalse();
    assertThat(bed.connects(w, other.guestAddress(), 443)).as("another sandbox").isFalse();
    assertThat(bed.connects(ns(other), "198.51.100.1", 443)).as("the other one works").isTrue();
    assertThat(manager.counters("p-1").txPackets()).as("counted in the sandbox table")
        .isPositive();
  }

  @Test
  void spoofedSourceAddressOrMacFromTheProcessIsDropped() throws Exception {
    SandboxNetwork n = manager.attachProcess("p-1", 4242, 4242,
        allow(RateLimit.NONE, new EgressRule("198.51.100.0/24", "tcp", 80, 80)));
    String w = ns(n);
    bed.listen(bed.inetNs, "198.51.100.1", 80);
    assertThat(bed.connects(w, "198.51.100.1", 80)).isTrue();
    for (String spoofed : List.of("10.213.0.22", "198.51.100.77")) {
      TestBed.sh("ip", "-n", w, "addr", "add", spoofed + "/32", "dev", "eth0");
      assertThat(bed.connects(w, "198.51.100.1", 80, "-s", spoofed)).as(spoofed).isFalse();
    }
    TestBed.sh("ip", "-n", w, "link", "set", "eth0", "address", "02:00:00:00:00:99");
    assertThat(bed.connects(w, "198.51.100.1", 80)).as("spoofed MAC").isFalse();
  }

  @Test
  void rateLimitsApplyToTheProcess() throws Exception {
    EgressRule udp = new EgressRule("198.51.100.0/24", "udp", 9000, 9000);
    String limited = ns(manager.attachProcess("p-1", 4242, 4242,
        allow(new RateLimit(0, 200), udp)));
    String free = ns(manager.attachProcess("p-2", 4242, 4242, allow(RateLimit.NONE, udp)));
    long slow = flood(limited);
    long fast = flood(free);
    double expected = 200 + 200 * FLOOD.toMillis() / 1000.0; // bucket + refill
    assertThat((double) slow).isBetween(expected / 3, expected * 2);
    assertThat(fast).as("the same flood without a limit").isGreaterThan(Math.max(10 * slow, 5_000));
  }

  /** Small datagrams from {@code netns} to the server for {@link #FLOOD}; returns how many arrived. */
  private long flood(String netns) throws Exception {
    Flood.Receiver r = new Flood.Receiver(Flood.bind(bed.inetNs, "198.51.100.1", 9000));
    try (DatagramChannel out = Flood.connect(netns, "198.51.100.1", 9000)) {
      long sent = Flood.send(out, 32, FLOOD);
      Flood.Count got = r.stop();
      System.out.printf("process flood: sent %d, received %d%n", sent, got.packets());
      return got.packets();
    }
  }

  @Test
  void narrowingCutsAnOpenConnectionOfTheProcess() throws Exception {
    SandboxNetwork n = manager.attachProcess("p-1", 4242, 4242,
        allow(RateLimit.NONE, new EgressRule("198.51.100.0/24", "tcp", 80, 80)));
    String w = ns(n);
    TestBed.OpenConnection open = bed.openConnection(w, "198.51.100.1", 80);

    manager.updateEgress("p-1",
        allow(RateLimit.NONE, new EgressRule("198.51.100.0/24", "tcp", 443, 443)));

    assertThat(open.stillCarries("after")).as("the open connection after narrowing").isFalse();
    assertThat(bed.connects(w, "198.51.100.1", 80)).as("new connection").isFalse();
    bed.listen(bed.inetNs, "198.51.100.1", 443);
    assertThat(bed.connects(w, "198.51.100.1", 443)).as("newly allowed").isTrue();
  }

  @Test
  void theWorkloadProbeNoticesAFirewallThatLetsTheProcessThrough() throws Exception {
    SandboxNetwork n = manager.attachProcess("p-1", 4242, 4242, EgressSpec.NONE);
    NetConfig config = bed.config();
    SlotAddresses a = SlotAddresses.of(config, n.slot());
    WorkloadLink link = new WorkloadLink(new Commands(config));
    long t0 = System.nanoTime();
    assertThat(link.probe(a, 3000)).as("the installed firewall refuses").isNull();
    System.out.printf("workload probe refused in %d us%n", (System.nanoTime() - t0) / 1000);
    // Someone opens the metadata address in the sandbox table behind the manager's back.
    TestBed.sh("nsenter", "--net=" + a.netnsPath(), "nft", "insert", "rule", "inet", "stockade",
        "egress", "ip", "daddr", "169.254.169.254", "accept");
    bed.listen(bed.inetNs, "169.254.169.254", 80);
    assertThat(link.probe(a, 300)).as("no refusal any more").isNotNull();
  }
}
