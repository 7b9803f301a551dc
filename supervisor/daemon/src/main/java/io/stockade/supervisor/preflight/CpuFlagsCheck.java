package io.stockade.supervisor.preflight;

/**
 * Reports the vmx/svm cpu flags as information only: on nested hosts they may be absent while
 * /dev/kvm works (or present while guests hang), so the verdict comes from the device and the
 * boot probe, never from here.
 */
final class CpuFlagsCheck {
  private CpuFlagsCheck() {}

  static CheckResult check(HostRoot host) {
    String flags =
        host.read("/proc/cpuinfo")
            .flatMap(t -> t.lines().filter(l -> l.startsWith("flags")).findFirst())
            .orElse("");
    String found;
    if (flags.isEmpty()) {
      found = "/proc/cpuinfo has no flags line";
    } else if (flags.matches(".*\\bvmx\\b.*")) {
      found = "cpu flag vmx (Intel VT-x) present";
    } else if (flags.matches(".*\\bsvm\\b.*")) {
      found = "cpu flag svm (AMD-V) present";
    } else {
      found = "no vmx/svm cpu flag (normal on some nested hosts)";
    }
    return CheckResult.ok(
        "kvm.cpu_flags", found + "; advisory only: the verdict comes from /dev/kvm ioctls and the boot probe");
  }
}
