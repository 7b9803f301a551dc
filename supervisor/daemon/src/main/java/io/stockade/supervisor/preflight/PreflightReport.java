package io.stockade.supervisor.preflight;

import java.util.List;

/**
 * The outcome of every check.
 *
 * @param checks every check, in the order run
 * @param kvm whether KVM can boot guests here (the QEMU driver picks TCG unless USABLE)
 */
public record PreflightReport(List<CheckResult> checks, KvmVerdict kvm) {
  public PreflightReport {
    checks = List.copyOf(checks);
  }

  public enum KvmVerdict {
    /** A guest booted to its readiness line under KVM. */
    USABLE,
    /** /dev/kvm answers ioctls but guests do not boot (e.g. nested paravirtual hosts). */
    ANSWERS_BUT_GUESTS_HANG,
    /** /dev/kvm answers ioctls; no boot probe was run (no probe image, or not asked). */
    ANSWERS_NOT_PROBED,
    /** /dev/kvm missing, not accessible, or not answering. */
    UNAVAILABLE
  }

  /** True when a check failed that makes every sandbox impossible. */
  public boolean fatal() {
    return checks.stream().anyMatch(c -> c.fatal() && c.status() == CheckResult.Status.FAIL);
  }

  /** True when any check failed. */
  public boolean anyFailed() {
    return checks.stream().anyMatch(c -> c.status() == CheckResult.Status.FAIL);
  }
}
