package io.stockade.supervisor.preflight;

import static org.assertj.core.api.Assertions.assertThat;

import io.stockade.policy.Authorizer.SourcedGrant;
import io.stockade.policy.CpuList;
import io.stockade.policy.EgressRule;
import io.stockade.policy.Grant;
import io.stockade.policy.RateLimit;
import io.stockade.supervisor.preflight.CheckResult.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whether the host can honour the policy: against a fake /proc and cgroupfs under an injected root
 * (io on cgroup v2, cpuset only when a test mounts it), with real files for the VMM binaries.
 */
class PolicyChecksTest {
  @TempDir Path root;

  private void write(String absolute, String text) throws IOException {
    PreflightHostTestSupport.write(root, absolute, text);
  }

  private HostRoot host(boolean cpuset) throws IOException {
    write("/proc/self/mountinfo", """
        22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw
        """ + (cpuset ? "33 31 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n" : ""));
    write("/proc/self/cgroup", (cpuset ? "3:cpuset:/\n" : "") + "0::/stockade\n");
    write("/proc/self/status", "Name:\tjava\nCpus_allowed:\tf\nCpus_allowed_list:\t0-3\n");
    write("/sys/fs/cgroup/unified/stockade/cgroup.controllers", "io memory pids\n");
    if (cpuset) {
      write("/sys/fs/cgroup/cpuset/cpuset.cpus", "0-3\n");
    }
    return new HostRoot(root);
  }

  private static Grant grant(Set<String> kinds, String cpus, long ioCap, List<EgressRule> egress) {
    return new Grant(kinds, Set.of("*"), 2, 2, 512, 4, 1024, egress, List.of(), List.of("/bin/sh"), 0, 0, 0, ioCap,
        CpuList.parse(cpus), RateLimit.NONE);
  }

  private Map<String, Path> binaries() throws IOException {
    Path qemu = Files.createFile(root.resolve("qemu"));
    qemu.toFile().setExecutable(true);
    return Map.of("qemu", qemu, "firecracker", root.resolve("no-such-firecracker"));
  }

  @Test
  void namesEachRuleTheHostCannotHonourAndWhatIsMissing() throws IOException {
    List<SourcedGrant> grants = List.of(
        new SourcedGrant("/p/10-ci.json#/rules/0", grant(Set.of("qemu", "process"), "", 0, List.of())),
        new SourcedGrant("/p/20-fc.json#/rules/1", grant(Set.of("firecracker"), "2-5", 1 << 20,
            List.of(new EgressRule("0.0.0.0/0", "tcp", 443, 443)))));
    List<CheckResult> r = PolicyChecks.check(host(false),
        new PolicyDemands(grants, Optional.empty(), CpuList.NONE, false, false), binaries());

    assertThat(PreflightHostTestSupport.named(r, "policy").found()).isEqualTo("2 rule(s)");
    CheckResult kinds = PreflightHostTestSupport.named(r, "policy.kinds");
    assertThat(kinds.status()).isEqualTo(Status.FAIL);
    assertThat(kinds.found()).contains("firecracker (granted by /p/20-fc.json#/rules/1) needs " + root.resolve("no-such-firecracker"))
        .doesNotContain("qemu (");
    CheckResult cpus = PreflightHostTestSupport.named(r, "policy.cpus");
    assertThat(cpus.status()).isEqualTo(Status.FAIL);
    assertThat(cpus.found()).contains("/p/20-fc.json#/rules/1").contains("no cpuset controller");
    assertThat(PreflightHostTestSupport.statusOf(r, "policy.io")).as("io is on v2 here").isEqualTo(Status.OK);
    CheckResult net = PreflightHostTestSupport.named(r, "policy.network");
    assertThat(net.status()).isEqualTo(Status.WARN);
    assertThat(net.found()).contains("network.enabled is false").contains("/p/20-fc.json#/rules/1");
  }

  @Test
  void pinningNeedsTheCpusTheSupervisorHas() throws IOException {
    HostRoot host = host(true);
    List<SourcedGrant> grants = List.of(new SourcedGrant("/p/a.json#/rules/0", grant(Set.of("qemu"), "2-5", 0, List.of())));
    CheckResult beyond = PreflightHostTestSupport.named(PolicyChecks.check(host,
        new PolicyDemands(grants, Optional.empty(), CpuList.parse("3"), false, true), binaries()), "policy.cpus");
    assertThat(beyond.status()).isEqualTo(Status.FAIL);
    assertThat(beyond.found()).isEqualTo("/p/a.json#/rules/0 names CPUs 4-5, which this host does not give the"
        + " supervisor (it may use 0-3)");

    List<SourcedGrant> fitting = List.of(new SourcedGrant("/p/a.json#/rules/0", grant(Set.of("qemu"), "1-2", 0, List.of())));
    CheckResult fits = PreflightHostTestSupport.named(PolicyChecks.check(host,
        new PolicyDemands(fitting, Optional.empty(), CpuList.parse("3"), false, true), Map.of()), "policy.cpus");
    assertThat(fits.status()).isEqualTo(Status.OK);
    assertThat(fits.found()).contains("/p/a.json#/rules/0, defaults.cpus");
  }

  @Test
  void aPolicyThatDoesNotLoadIsOneFailureAndNothingElse() throws IOException {
    List<CheckResult> r = PolicyChecks.check(host(false),
        new PolicyDemands(List.of(), Optional.of("/p/x.json: /rules/0/grant/cpus: range 3-1 runs backwards"),
            CpuList.NONE, true, true), Map.of());
    assertThat(r).hasSize(1);
    assertThat(r.get(0).status()).isEqualTo(Status.FAIL);
    assertThat(r.get(0).found()).contains("runs backwards");
  }

  @Test
  void noDemandsNoPinningOrIoRows() throws IOException {
    List<CheckResult> r = PolicyChecks.check(host(false), new PolicyDemands(List.of(), Optional.empty(), CpuList.NONE,
        false, true), Map.of());
    assertThat(r).extracting(CheckResult::name).containsExactly("policy", "policy.kinds");
    assertThat(r.get(0).found()).contains("only root");
  }
}
