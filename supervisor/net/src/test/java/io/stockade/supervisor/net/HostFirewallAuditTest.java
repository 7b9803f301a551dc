package io.stockade.supervisor.net;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The audit reads a real ruleset in the test's host namespace. */
class HostFirewallAuditTest {
  private TestBed bed;

  @BeforeEach
  void setUp() throws Exception {
    TestBed.assumeCapable();
    bed = new TestBed();
  }

  @AfterEach
  void tearDown() {
    if (bed != null) {
      bed.close();
    }
  }

  @Test
  void reportsAnotherTablesDropPolicyOnForwardButNotOurOwnTable() throws Exception {
    try (LinuxNetworkManager m = LinuxNetworkManager.create(bed.config())) {
      assertThat(HostFirewallAudit.conflicts(bed.config())).isEmpty();
      TestBed.sh("ip", "netns", "exec", bed.hostNs, "nft", "add", "table", "ip", "filter");
      TestBed.sh("ip", "netns", "exec", bed.hostNs, "nft", "add", "chain", "ip", "filter",
          "FORWARD", "{ type filter hook forward priority 0; policy drop; }");
      TestBed.sh("ip", "netns", "exec", bed.hostNs, "nft", "add", "chain", "ip", "filter",
          "OUTPUT", "{ type filter hook output priority 0; policy drop; }");
      assertThat(HostFirewallAudit.conflicts(bed.config()))
          .singleElement()
          .satisfies(c -> {
            assertThat(c.table()).isEqualTo("filter");
            assertThat(c.hook()).isEqualTo("forward");
            assertThat(c.remedy()).contains(bed.prefix + "h*");
          });
    }
  }
}
