package io.stockade.supervisor.preflight;

import io.stockade.supervisor.preflight.PreflightReport.KvmVerdict;
import java.util.ArrayList;
import java.util.List;

/**
 * Proves the host can run sandboxes. Implemented by the preflight checks in this package; the
 * daemon runs it at start (refusing to start on a fatal failure), for `stockade-supervisor
 * preflight`, and for the Preflight API call.
 *
 * <p>Fatal (the daemon refuses to start): a missing capability the exec stage or jail cannot do
 * without (CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID, CAP_SYS_CHROOT, CAP_CHOWN, CAP_KILL), no
 * seccomp in the kernel or no libseccomp, no cgroup hierarchy at all, an unusable state or run
 * directory. Everything else degrades some sandboxes and is a warning or a non-fatal failure; a
 * KVM problem never fails anything: guests fall back to TCG.
 */
public final class Preflight {
  private Preflight() {}

  /** Runs every check. Never throws for a failed check: failures are results. */
  public static PreflightReport run(PreflightInputs inputs) {
    return run(inputs, HostRoot.real());
  }

  static PreflightReport run(PreflightInputs inputs, HostRoot host) {
    List<CheckResult> checks = new ArrayList<>();
    KvmDeviceCheck.Outcome kvm = KvmDeviceCheck.check(host.resolve("/dev/kvm"));
    checks.addAll(kvm.results());
    checks.add(CpuFlagsCheck.check(host));
    KvmBootProbe.Outcome probe = KvmBootProbe.run(inputs, host, kvm.answers());
    probe.result().ifPresent(checks::add);
    checks.addAll(CapabilityChecks.check(host));
    checks.addAll(CgroupChecks.check(host));
    checks.addAll(KernelFeatureChecks.check(host));
    checks.addAll(NetworkChecks.check(host, inputs.hostNetns()));
    checks.addAll(VmmBinaryChecks.check(inputs.vmmBinaries(), inputs.neededKinds()));
    checks.addAll(StorageChecks.check(inputs));
    KvmVerdict verdict = probe.verdict();
    return new PreflightReport(checks, verdict);
  }
}
