package io.stockade.supervisor.preflight;

import io.stockade.supervisor.preflight.PreflightReport.KvmVerdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Proves the host can run sandboxes. Implemented by the preflight checks in this package; the
 * daemon runs it at start (refusing to start on a fatal failure), for `stockade-supervisor
 * preflight`, and for the Preflight API call.
 *
 * <p>Fatal (the daemon refuses to start): a missing capability the exec stage or jail cannot do
 * without (CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID, CAP_SYS_CHROOT, CAP_CHOWN, CAP_KILL), no
 * seccomp in the kernel or no libseccomp, no cgroup hierarchy at all, an unusable state or run
 * directory. Everything else degrades some sandboxes and is a warning or a non-fatal failure; a
 * KVM problem never fails anything: guests fall back to TCG. docs/operations.md lists every check.
 */
public final class Preflight {
  private Preflight() {}

  /** Runs every check. Never throws for a failed check: failures are results. */
  public static PreflightReport run(PreflightInputs inputs) {
    return run(inputs, HostRoot.real());
  }

  static PreflightReport run(PreflightInputs inputs, HostRoot host) {
    List<CheckResult> checks = new ArrayList<>();
    KvmDeviceCheck.Outcome kvm =
        guarded("kvm.device", false, () -> KvmDeviceCheck.check(host.resolve("/dev/kvm")),
            e -> new KvmDeviceCheck.Outcome(List.of(e), false));
    checks.addAll(kvm.results());
    checks.addAll(group("kvm.cpu_flags", false, () -> List.of(CpuFlagsCheck.check(host))));
    KvmBootProbe.Outcome probe =
        guarded("kvm.boot", false, () -> KvmBootProbe.run(inputs, host, kvm.answers()),
            e -> new KvmBootProbe.Outcome(
                kvm.answers() ? KvmVerdict.ANSWERS_NOT_PROBED : KvmVerdict.UNAVAILABLE,
                Optional.of(e)));
    probe.result().ifPresent(checks::add);
    checks.addAll(group("cap", true, () -> CapabilityChecks.check(host)));
    checks.addAll(group("cgroup", true, () -> CgroupChecks.check(host)));
    checks.addAll(group("kernel", true, () -> KernelFeatureChecks.check(host)));
    checks.addAll(group("net", false, () -> NetworkChecks.check(host, inputs.hostNetns(), inputs.network())));
    checks.addAll(group("vmm", false, () -> VmmBinaryChecks.check(inputs.vmmBinaries(), inputs.neededKinds())));
    checks.addAll(group("storage", true, () -> StorageChecks.check(inputs)));
    if (inputs.policy() != PolicyDemands.NONE) {
      checks.addAll(group("policy", false, () -> PolicyChecks.check(host, inputs.policy(), inputs.vmmBinaries())));
    }
    return new PreflightReport(checks, probe.verdict());
  }

  private static List<CheckResult> group(
      String name, boolean fatalOnCrash, Supplier<List<CheckResult>> checks) {
    return guarded(name, fatalOnCrash, checks, List::of);
  }

  /**
   * A check that throws (a bug, or libc/JNA failing to load) becomes a failure naming the
   * exception, so one broken check never hides the others' results. Where the group guards a
   * fatal requirement (capabilities, cgroups, seccomp, storage) the crash is fatal too: what
   * cannot be verified is not assumed.
   */
  private static <T> T guarded(
      String name, boolean fatalOnCrash, Supplier<T> check, Function<CheckResult, T> onError) {
    try {
      return check.get();
    } catch (RuntimeException | LinkageError e) {
      String found = "check crashed: " + e;
      String remedy =
          "report this as a Stockade bug with the output of `stockade-supervisor preflight`";
      return onError.apply(
          fatalOnCrash
              ? CheckResult.fatal(name, found, remedy)
              : CheckResult.fail(name, found, remedy));
    }
  }
}
