package io.stockade.supervisor.preflight;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Kernel features the jail relies on: seccomp filters (fatal without) and user namespaces. */
final class KernelFeatureChecks {
  private KernelFeatureChecks() {}

  static List<CheckResult> check(HostRoot host) {
    List<CheckResult> results = new ArrayList<>();
    results.add(seccompKernel(host));
    results.add(libseccomp());
    results.add(userNamespaces(host));
    return results;
  }

  /**
   * The Seccomp: field exists in /proc/self/status only with CONFIG_SECCOMP, and
   * prctl(PR_GET_SECCOMP) fails with EINVAL without it. Mode 2 means the supervisor itself is
   * already filtered (e.g. SystemCallFilter= in its unit): filters stack, so that is reported,
   * not refused, but such a filter must allow what the jail does (mount, pivot_root, setns).
   */
  static CheckResult seccompKernel(HostRoot host) {
    Optional<String> field = host.field("/proc/self/status", "Seccomp");
    int mode = Libc.seccompMode();
    if (field.isEmpty() || mode < 0) {
      return CheckResult.fatal(
          "seccomp.kernel",
          "no seccomp: Seccomp field " + (field.isPresent() ? "present" : "absent")
              + " in /proc/self/status, prctl(PR_GET_SECCOMP) "
              + (mode < 0 ? Libc.errnoName(-mode) : "mode " + mode),
          "boot a kernel built with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER (every distribution"
              + " kernel is): sandboxes never run without a syscall filter");
    }
    String filters = host.field("/proc/self/status", "Seccomp_filters").orElse("?");
    return CheckResult.ok(
        "seccomp.kernel",
        "seccomp available; supervisor mode " + mode + (mode == 2 ? " (already filtered, " + filters + " filters)" : " (unfiltered)"));
  }

  static CheckResult libseccomp() {
    try {
      return CheckResult.ok("seccomp.libseccomp", "libseccomp.so.2 version " + Libc.libseccompVersion());
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      return CheckResult.fatal(
          "seccomp.libseccomp",
          "libseccomp.so.2 does not load: " + e.getMessage(),
          "apt-get install libseccomp2 (the supervisor compiles every sandbox's filter with it)");
    }
  }

  static CheckResult userNamespaces(HostRoot host) {
    Optional<String> max = host.read("/proc/sys/user/max_user_namespaces");
    Optional<String> unprivileged = host.read("/proc/sys/kernel/unprivileged_userns_clone");
    String extra =
        unprivileged
            .map(v -> ", kernel.unprivileged_userns_clone=" + v
                + (v.equals("0") ? " (only privileged processes: the supervisor is one)" : ""))
            .orElse("");
    if (max.isEmpty()) {
      return CheckResult.fail(
          "userns",
          "no /proc/sys/user/max_user_namespaces: kernel without user namespaces",
          "boot a kernel with CONFIG_USER_NS=y; jails that map ids through a user namespace are"
              + " unavailable until then");
    }
    long limit;
    try {
      limit = Long.parseLong(max.get());
    } catch (NumberFormatException e) {
      limit = 0;
    }
    if (limit <= 0) {
      return CheckResult.fail(
          "userns",
          "user.max_user_namespaces=" + max.get() + extra + ": user namespaces disabled",
          "sysctl -w user.max_user_namespaces=15000 and persist it in /etc/sysctl.d/stockade.conf");
    }
    return CheckResult.ok("userns", "user.max_user_namespaces=" + limit + extra);
  }
}
