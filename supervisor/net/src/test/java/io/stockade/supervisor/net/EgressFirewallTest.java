package io.stockade.supervisor.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.stockade.policy.EgressRule;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Real packets from a guest namespace through the sandbox's firewall (see {@link TestBed}). */
class EgressFirewallTest extends ManagerFixture {

  private static EgressSpec allow(EgressRule... rules) {
    return new EgressSpec(List.of(rules), List.of());
  }

  @Test
  void allowedDestinationConnectsAndDeniedOnesAreRefused() throws Exception {
    SandboxNetwork n = manager.attach("sb-1", 4242, 4242,
        allow(new EgressRule("198.51.100.0/24", "tcp", 80, 80),
            new EgressRule("0.0.0.0/0", "tcp", 443, 443)));
    String guest = bed.plugGuest(n);
    bed.listen(bed.inetNs, "198.51.100.1", 80);
    bed.listen(bed.inetNs, "0.0.0.0", 81);
    bed.listen(bed.inetNs, "0.0.0.0", 443);
    bed.listen(bed.hostNs, "0.0.0.0", 2222);

    assertThat(bed.connects(guest, "198.51.100.1", 80)).as("allowed").isTrue();
    assertThat(bed.connects(guest, "198.51.100.1", 443)).as("allowed by 0/0").isTrue();
    assertThat(bed.connects(guest, "198.51.100.1", 81)).as("denied port").isFalse();
    assertThat(bed.connects(guest, "10.99.0.1", 443)).as("RFC1918 not named").isFalse();
    assertThat(bed.connects(guest, "169.254.169.254", 443)).as("metadata").isFalse();
    assertThat(bed.connects(guest, "198.51.100.254", 2222)).as("the host").isFalse();
    assertThat(bed.connects(guest, "10.213.0.1", 2222)).as("the host's veth").isFalse();
    assertThat(manager.counters("sb-1").txPackets()).isPositive();
  }

  @Test
  void dnsOnlyToTheResolverAndNoDnsOverTls() throws Exception {
    SandboxNetwork n = manager.attach("sb-1", 4242, 4242,
        allow(new EgressRule("0.0.0.0/0", "tcp", 1, 65535)));
    assertThat(n.dns()).containsExactly("198.51.100.53");
    assertThat(n.kernelIpArgument()).endsWith(":198.51.100.53");
    String guest = bed.plugGuest(n);
    bed.listen(bed.inetNs, "0.0.0.0", 53);
    bed.listen(bed.inetNs, "0.0.0.0", 853);
    assertThat(bed.connects(guest, "198.51.100.53", 53)).as("the resolver").isTrue();
    assertThat(bed.connects(guest, "198.51.100.1", 53)).as("another resolver").isFalse();
    assertThat(bed.connects(guest, "198.51.100.53", 853)).as("DNS over TLS").isFalse();
  }

  @Test
  void ipv6IsNeitherConfiguredNorForwarded() throws Exception {
    SandboxNetwork n = manager.attach("sb-1", 4242, 4242,
        allow(new EgressRule("0.0.0.0/0", "tcp", 1, 65535)));
    String guest = bed.plugGuest(n);
    String sbx = n.netnsPath().getFileName().toString();
    assertThat(TestBed.sh("ip", "-n", sbx, "-6", "addr", "show")).isBlank();
    TestBed.sh("ip", "-n", guest, "-6", "addr", "add", "2001:db8::2/64", "dev", "eth0", "nodad");
    bed.listen(bed.inetNs, "2001:db8::1", 80);
    assertThat(bed.connects(guest, "2001:db8::1", 80, "-6")).as("IPv6").isFalse();
    assertThat(bed.connects(guest, "198.51.100.1", 80)).as("IPv4 still works").isFalse();
    bed.listen(bed.inetNs, "198.51.100.1", 81);
    assertThat(bed.connects(guest, "198.51.100.1", 81)).isTrue();
  }

  @Test
  void spoofedSourceAddressOrMacIsDropped() throws Exception {
    SandboxNetwork n = manager.attach("sb-1", 4242, 4242,
        allow(new EgressRule("198.51.100.0/24", "tcp", 80, 80)));
    String guest = bed.plugGuest(n);
    bed.listen(bed.inetNs, "198.51.100.1", 80);
    assertThat(bed.connects(guest, "198.51.100.1", 80)).isTrue();
    // Another sandbox's guest address and an address outside the pool, both as source.
    for (String spoofed : List.of("10.213.0.22", "198.51.100.77")) {
      TestBed.sh("ip", "-n", guest, "addr", "add", spoofed + "/32", "dev", "eth0");
      assertThat(bed.connects(guest, "198.51.100.1", 80, "-s", spoofed)).as(spoofed).isFalse();
    }
    TestBed.sh("ip", "-n", guest, "link", "set", "eth0", "address", "02:00:00:00:00:99");
    TestBed.sh("ip", "-n", guest, "neigh", "flush", "all");
    assertThat(bed.connects(guest, "198.51.100.1", 80)).as("spoofed MAC").isFalse();
  }

  @Test
  void anotherSandboxIsUnreachableEvenWhenPrivateSpaceIsNamed() throws Exception {
    EgressSpec spec = allow(new EgressRule("10.0.0.0/8", "tcp", 1, 65535),
        new EgressRule("0.0.0.0/0", "tcp", 1, 65535));
    SandboxNetwork one = manager.attach("sb-1", 4242, 4242, spec);
    SandboxNetwork two = manager.attach("sb-2", 4243, 4243, spec);
    assertThat(one.guestAddress()).isNotEqualTo(two.guestAddress());
    assertThat(one.mac()).isNotEqualTo(two.mac());
    String g1 = bed.plugGuest(one);
    String g2 = bed.plugGuest(two);
    bed.listen(g2, "0.0.0.0", 7000);
    bed.listen(bed.inetNs, "10.99.0.1", 7000);
    assertThat(bed.connects(g1, two.guestAddress(), 7000)).as("other sandbox").isFalse();
    assertThat(bed.connects(g1, two.gateway(), 7000)).as("other gateway").isFalse();
    assertThat(bed.connects(g1, "10.99.0.1", 7000)).as("named private range").isTrue();
  }

  @Test
  void narrowingCutsAnOpenConnection() throws Exception {
    SandboxNetwork n = manager.attach("sb-1", 4242, 4242,
        allow(new EgressRule("198.51.100.0/24", "tcp", 80, 80)));
    String guest = bed.plugGuest(n);
    TestBed.OpenConnection open = bed.openConnection(guest, "198.51.100.1", 80);
    assertThat(conntrackEntries(n)).contains("dport=80");

    manager.updateEgress("sb-1", allow(new EgressRule("198.51.100.0/24", "tcp", 443, 443)));

    assertThat(conntrackEntries(n)).doesNotContain("dport=80");
    assertThat(open.stillCarries("after")).as("the open connection after narrowing").isFalse();
    assertThat(bed.connects(guest, "198.51.100.1", 80)).as("new connection").isFalse();
    bed.listen(bed.inetNs, "198.51.100.1", 443);
    assertThat(bed.connects(guest, "198.51.100.1", 443)).as("newly allowed").isTrue();
  }

  private static String conntrackEntries(SandboxNetwork n) throws Exception {
    return TestBed.sh("nsenter", "--net=" + n.netnsPath(), "conntrack", "-L");
  }

  @Test
  void invalidSpecsAreRefusedBeforeAnythingIsBuilt() throws Exception {
    for (EgressRule bad : List.of(new EgressRule("2001:db8::/32", "tcp", 80, 80),
        new EgressRule("198.51.100.1/24", "tcp", 80, 80),
        new EgressRule("198.51.100.0/24", "sctp", 80, 80),
        new EgressRule("198.51.100.0/24", "tcp", 90, 80))) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> manager.attach("sb-x", 1, 1,
              allow(bad)))
          .isInstanceOf(NetworkException.class)
          .satisfies(e -> assertThat(((NetworkException) e).step()).isEqualTo("validate egress"));
    }
    assertThat(bed.leftovers()).isZero();
  }

  @Test
  void pinnedNamesAreReachableOnTheirPortOnly() throws Exception {
    // An address literal resolves to itself without any resolver: the pin path without DNS.
    SandboxNetwork n = manager.attach("sb-1", 4242, 4242,
        new EgressSpec(List.of(), List.of("198.51.100.1:8080")));
    String guest = bed.plugGuest(n);
    bed.listen(bed.inetNs, "0.0.0.0", 8080);
    bed.listen(bed.inetNs, "0.0.0.0", 8081);
    assertThat(bed.connects(guest, "198.51.100.1", 8080)).isTrue();
    assertThat(bed.connects(guest, "198.51.100.1", 8081)).isFalse();
    assertThat(bed.connects(guest, "198.51.100.53", 8080)).isFalse();
  }
}
