package io.stockade.supervisor.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.stockade.policy.EgressRule;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real packets from a guest namespace through the sandbox's firewall (see {@link TestBed}). */
class EgressFirewallTest {
  private TestBed bed;
  private LinuxNetworkManager manager;

  @BeforeEach
  void setUp() throws Exception {
    TestBed.assumeCapable();
    bed = new TestBed();
    manager = LinuxNetworkManager.create(bed.config());
  }

  @AfterEach
  void tearDown() {
    if (manager != null) {
      manager.close();
    }
    if (bed != null) {
      bed.close();
    }
  }

  private static EgressSpec allow(EgressRule... rules) {
    return new EgressSpec(List.of(rules), List.of(), 0);
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
}
