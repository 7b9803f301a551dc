package io.stockade.supervisor.preflight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.supervisor.preflight.CheckResult.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Network checks run inside a network namespace this test creates, holding a "container engine"
 * table whose forward chain drops by policy; the host's own ruleset is never touched.
 */
class NetworkChecksTest {
  @TempDir Path tmp;
  private String netns;

  @BeforeEach
  void createNetns() {
    assumeTrue(Libc.geteuid() == 0, "needs root for ip netns");
    netns = "stk-op-" + UUID.randomUUID().toString().substring(0, 8);
    Commands.Result r = Commands.run(Duration.ofSeconds(10), List.of("ip", "netns", "add", netns));
    assumeTrue(r.ok(), "ip netns add: " + r.describeFailure());
  }

  @AfterEach
  void deleteNetns() {
    if (netns != null) {
      Commands.run(Duration.ofSeconds(10), List.of("ip", "netns", "del", netns));
    }
  }

  private Commands.Result inNetns(String... argv) {
    return Commands.runInNetns(Optional.of(Path.of("/run/netns", netns)), List.of(argv));
  }

  @Test
  void forwardDropChainInTheHostNetnsIsReportedWithItsName() {
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/nft")), "nft missing");
    assertThat(inNetns("nft", "add", "table", "ip", "stkop_engine").ok()).isTrue();
    Commands.Result added =
        inNetns("nft", "add", "chain", "ip", "stkop_engine", "FORWARD",
            "{ type filter hook forward priority 0; policy drop; }");
    assertThat(added.ok()).as(added.describeFailure()).isTrue();
    List<CheckResult> results = NetworkChecks.check(HostRoot.real(), Optional.of(Path.of("/run/netns", netns)));
    CheckResult drop = PreflightHostTestSupport.named(results, "net.forward_drop");
    assertThat(drop.status()).isEqualTo(Status.WARN);
    assertThat(drop.found()).startsWith("forward-hook chain with policy drop: ip stkop_engine FORWARD (");
    assertThat(drop.remedy()).contains("DOCKER-USER");
    assertThat(PreflightHostTestSupport.named(results, "net.nft").found()).contains("(1 tables)");
    // A fresh namespace forwards nothing: read there, not in the host's namespace.
    CheckResult fwd = PreflightHostTestSupport.named(results, "net.ip_forward");
    assertThat(fwd.status()).isEqualTo(Status.WARN);
    assertThat(fwd.found()).isEqualTo("net.ipv4.ip_forward=0 in /run/netns/" + netns + ": sandbox traffic is not routed beyond this host");
    assertThat(fwd.remedy()).startsWith("`nsenter --net=/run/netns/" + netns + " sysctl -w net.ipv4.ip_forward=1`");
  }

  @Test
  void forwardingEnabledAndAcceptPolicyAreOk() {
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/nft")), "nft missing");
    Commands.Result sysctl = inNetns("sysctl", "-qw", "net.ipv4.ip_forward=1");
    assertThat(sysctl.ok()).as(sysctl.describeFailure()).isTrue();
    assertThat(inNetns("nft", "add", "table", "inet", "stkop_ok").ok()).isTrue();
    assertThat(inNetns("nft", "add", "chain", "inet", "stkop_ok", "stkop_fwd",
        "{ type filter hook forward priority 0; policy accept; }").ok()).isTrue();
    List<CheckResult> results = NetworkChecks.check(HostRoot.real(), Optional.of(Path.of("/run/netns", netns)));
    assertThat(PreflightHostTestSupport.statusOf(results, "net.ip_forward")).isEqualTo(Status.OK);
    assertThat(PreflightHostTestSupport.statusOf(results, "net.forward_drop")).isEqualTo(Status.OK);
    assertThat(PreflightHostTestSupport.statusOf(results, "net.netns")).isEqualTo(Status.OK);
  }

  @Test
  void missingConfiguredNetnsFails() {
    Path absent = Path.of("/run/netns", netns + "-absent");
    List<CheckResult> results = NetworkChecks.check(HostRoot.real(), Optional.of(absent));
    assertThat(results).hasSize(1);
    assertThat(results.get(0).found()).isEqualTo("configured host network namespace " + absent + " missing");
  }

  @Test
  void tunMustBeTheRealCharDevice() throws Exception {
    Path fake = Files.writeString(tmp.resolve("tun"), "");
    CheckResult r = NetworkChecks.tun(fake);
    assertThat(r.status()).isEqualTo(Status.FAIL);
    assertThat(r.found()).endsWith(": not the TUN/TAP device (char 10:200)");
    assertThat(NetworkChecks.tun(tmp.resolve("absent")).found()).endsWith("absent missing (ENOENT)");
    if (Files.exists(Path.of("/dev/net/tun")) && Libc.geteuid() == 0) {
      assertThat(NetworkChecks.tun(Path.of("/dev/net/tun")).status()).isEqualTo(Status.OK);
    }
  }
}
