package io.stockade.supervisor.preflight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.supervisor.preflight.CheckResult.Status;
import io.stockade.supervisor.preflight.PreflightReport.KvmVerdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Preflight against this real host (root, /dev/kvm present, hybrid cgroups). */
class PreflightHostTest {
  @TempDir Path tmp;

  static PreflightInputs inputs(Path tmp, Map<String, Path> vmms, Set<String> needed) {
    return new PreflightInputs(
        tmp.resolve("state"),
        tmp.resolve("images"),
        tmp.resolve("run"),
        vmms,
        needed,
        Optional.empty(),
        Optional.empty(),
        "STOCKADE-READY",
        tmp.resolve("cache/kvm-probe.json"),
        false,
        Duration.ofSeconds(10),
        Optional.empty());
  }

  static CheckResult find(PreflightReport report, String name) {
    return report.checks().stream()
        .filter(c -> c.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no check " + name + " in " + report.checks()));
  }

  @Test
  void rootHostIsNotFatalAndReportsEveryGroup() throws Exception {
    assumeTrue(Libc.geteuid() == 0, "needs root");
    Files.createDirectories(tmp.resolve("state"));
    long start = System.nanoTime();
    PreflightReport report =
        Preflight.run(
            inputs(
                tmp,
                Map.of("qemu", Path.of("/usr/bin/qemu-system-x86_64"), "firecracker", tmp.resolve("no-fc")),
                Set.of("qemu")));
    System.out.printf("preflight without boot probe: %d ms%n", (System.nanoTime() - start) / 1_000_000);
    System.out.println(PreflightRenderer.text(report));
    assertThat(report.fatal()).as(PreflightRenderer.text(report)).isFalse();
    for (String name :
        new String[] {"kvm.cpu_flags", "cap.sys_admin", "cgroup.memory", "seccomp.kernel",
          "seccomp.libseccomp", "userns", "net.tun", "storage.state", "storage.run"}) {
      assertThat(find(report, name).status()).as(name).isNotNull();
    }
    assertThat(find(report, "seccomp.libseccomp").found()).matches("libseccomp.so.2 version 2\\.\\d+\\.\\d+");
    assertThat(find(report, "storage.state").found()).contains("writable");
    assertThat(find(report, "storage.run").found()).contains("missing, will be created under " + tmp);
    assertThat(Files.exists(tmp.resolve("run"))).as("preflight creates nothing").isFalse();
    // A configured but unused VMM that is missing warns; the used one is found with its version.
    assertThat(find(report, "vmm.firecracker").status()).isEqualTo(Status.WARN);
    if (Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64"))) {
      assertThat(find(report, "vmm.qemu").found()).contains("QEMU emulator version");
    }
    // No probe image given: at best "answers, not probed".
    assertThat(report.kvm()).isIn(KvmVerdict.ANSWERS_NOT_PROBED, KvmVerdict.UNAVAILABLE);
  }

  @Test
  void capEffOfThisProcessMatchesTheChecks() {
    String capEff = HostRoot.real().field("/proc/self/status", "CapEff").orElseThrow();
    long eff = Long.parseUnsignedLong(capEff, 16);
    for (CheckResult c : CapabilityChecks.check(HostRoot.real())) {
      CapabilityChecks.NEEDED.stream()
          .filter(n -> c.name().equals("cap." + n.name().substring(4).toLowerCase(java.util.Locale.ROOT)))
          .findFirst()
          .ifPresent(
              n -> assertThat(c.status() == Status.OK).as(c.toString()).isEqualTo((eff & (1L << n.bit())) != 0));
    }
  }

  @Test
  void missingNeededVmmFailsAndUnneededWarns() {
    var results =
        VmmBinaryChecks.check(
            Map.of("firecracker", tmp.resolve("fc"), "cloud-hypervisor", tmp.resolve("ch")),
            Set.of("firecracker", "process"));
    assertThat(results).extracting(CheckResult::name).containsExactly("vmm.cloud-hypervisor", "vmm.firecracker");
    assertThat(results.get(0).status()).isEqualTo(Status.WARN);
    assertThat(results.get(1).status()).isEqualTo(Status.FAIL);
    assertThat(results.get(1).found()).isEqualTo(tmp.resolve("fc") + " missing (used by the configuration)");
    assertThat(results.get(1).remedy()).contains("install the firecracker binary at the configured path");
  }

  @Test
  void aHostWithoutProcCgroupsOrSeccompIsFatalAndSaysWhy() throws Exception {
    // An empty directory as /proc, /sys and /dev: what a broken container would look like.
    Path empty = Files.createDirectory(tmp.resolve("stk-op-empty-root"));
    Files.createDirectories(tmp.resolve("state"));
    PreflightReport report = Preflight.run(inputs(tmp, Map.of(), Set.of()), new HostRoot(empty));
    assertThat(report.fatal()).isTrue();
    assertThat(report.kvm()).isEqualTo(KvmVerdict.UNAVAILABLE);
    assertThat(report.checks().stream().filter(CheckResult::fatal).map(CheckResult::name))
        .containsExactlyInAnyOrder("cap.read", "cgroup.hierarchy", "seccomp.kernel");
    assertThat(find(report, "kvm.device").status()).isEqualTo(Status.WARN);
    assertThat(find(report, "net.tun").status()).isEqualTo(Status.FAIL);
    assertThat(PreflightRenderer.text(report)).contains("(3 fatal): the supervisor refuses to start");
  }

  @Test
  void aCrashingCheckIsAResultAndFatalWhereItGuardsAFatalRequirement() {
    // A HostRoot without a root path makes every /proc read throw: a stand-in for a bug.
    PreflightReport report = Preflight.run(inputs(tmp, Map.of(), Set.of()), new HostRoot(null));
    assertThat(find(report, "cap").found()).startsWith("check crashed: java.lang.NullPointerException");
    assertThat(find(report, "cap").fatal()).isTrue();
    assertThat(find(report, "cgroup").fatal()).isTrue();
    assertThat(find(report, "kernel").fatal()).isTrue();
    assertThat(find(report, "net").status()).isEqualTo(Status.FAIL);
    assertThat(find(report, "net").fatal()).isFalse();
    assertThat(find(report, "kvm.device").fatal()).isFalse();
    assertThat(report.kvm()).isEqualTo(KvmVerdict.UNAVAILABLE);
    assertThat(report.checks()).anyMatch(c -> c.name().equals("storage.state"));
  }

  @Test
  void inputsRefuseNullsAndNonsenseUpFront() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new PreflightInputs(null, tmp, tmp, Map.of(), Set.of(), Optional.empty(), Optional.empty(),
                "STOCKADE-READY", tmp.resolve("c"), false, Duration.ofSeconds(1), Optional.empty()))
        .hasMessage("stateDir");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new PreflightInputs(tmp, tmp, tmp, Map.of(), Set.of(), Optional.empty(), Optional.empty(),
                " ", tmp.resolve("c"), false, Duration.ofSeconds(1), Optional.empty()))
        .hasMessageContaining("bootProbeReadyLine is blank");
  }
}
