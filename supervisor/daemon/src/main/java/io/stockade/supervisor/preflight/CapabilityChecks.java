package io.stockade.supervisor.preflight;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The capabilities the supervisor needs, read from CapEff in /proc/self/status (the effective
 * set is what the kernel checks; a root process under a CapabilityBoundingSet= lacks what the
 * unit removed). Not asked for, on purpose: CAP_NET_RAW (TAP, netns and nftables need only
 * CAP_NET_ADMIN) and CAP_SYS_PTRACE (reattach reads /proc/PID/stat, which is world-readable, and
 * network namespaces are entered through /run/netns files, not /proc/PID/ns).
 */
final class CapabilityChecks {
  /**
   * @param fatal without it every sandbox is impossible (the exec stage or jail cannot be built)
   * @param warnOnly missing it degrades one feature, with a fallback
   */
  record Needed(String name, int bit, String feature, boolean fatal, boolean warnOnly) {}

  static final List<Needed> NEEDED =
      List.of(
          new Needed("CAP_SYS_ADMIN", 21, "mount namespaces, pivot_root and setns in the exec stage", true, false),
          new Needed("CAP_SETUID", 7, "dropping sandbox processes to their own uid", true, false),
          new Needed("CAP_SETGID", 6, "dropping sandbox processes to their own gid, no supplementary groups", true, false),
          new Needed("CAP_SYS_CHROOT", 18, "entering the jail root", true, false),
          new Needed("CAP_CHOWN", 0, "giving jail directories and disks to the sandbox uid", true, false),
          new Needed("CAP_KILL", 5, "signalling sandbox processes, which run as other uids", true, false),
          new Needed("CAP_NET_ADMIN", 12, "network namespaces, TAP devices and nftables egress rules", false, false),
          new Needed("CAP_MKNOD", 27, "device nodes (kvm, net/tun) inside jails", false, false),
          new Needed("CAP_FOWNER", 3, "setting modes on jail files owned by sandbox uids", false, false),
          new Needed("CAP_DAC_OVERRIDE", 1, "reading and cleaning jail directories owned by sandbox uids", false, false),
          new Needed("CAP_SETPCAP", 8, "clearing the capability bounding set before exec", false, false),
          new Needed("CAP_SYS_RESOURCE", 24, "raising rlimits above the supervisor's own hard limits", false, true));

  private CapabilityChecks() {}

  static List<CheckResult> check(HostRoot host) {
    List<CheckResult> results = new ArrayList<>();
    String capEff = host.field("/proc/self/status", "CapEff").orElse("");
    long eff;
    try {
      eff = Long.parseUnsignedLong(capEff, 16);
    } catch (NumberFormatException e) {
      results.add(
          CheckResult.fatal(
              "cap.read",
              "no CapEff line in /proc/self/status (" + host.resolve("/proc/self/status") + ")",
              "preflight needs a mounted /proc to read capabilities"));
      return results;
    }
    int uid = Libc.geteuid();
    results.add(CheckResult.ok("cap.effective", "uid " + uid + ", CapEff " + capEff));
    for (Needed cap : NEEDED) {
      String id = "cap." + cap.name().substring(4).toLowerCase(Locale.ROOT);
      if ((eff & (1L << cap.bit())) != 0) {
        results.add(CheckResult.ok(id, cap.name() + " for " + cap.feature()));
        continue;
      }
      String found = cap.name() + " missing from CapEff " + capEff + " (uid " + uid + "): needed for " + cap.feature();
      String remedy = remedy(cap);
      if (cap.warnOnly()) {
        results.add(CheckResult.warn(id, found + "; lower limits still apply", remedy));
      } else if (cap.fatal()) {
        results.add(CheckResult.fatal(id, found, remedy));
      } else {
        results.add(CheckResult.fail(id, found, remedy));
      }
    }
    return results;
  }

  static String remedy(Needed cap) {
    String lower = cap.name().toLowerCase(Locale.ROOT);
    String java = ProcessHandle.current().info().command().orElse("/usr/bin/java");
    return "add " + cap.name() + " to both CapabilityBoundingSet= and AmbientCapabilities= of"
        + " stockade.service (`systemctl edit stockade`), or for a manual start `setcap "
        + lower + "+ep " + java + "` (grants it to every program run by that java binary: prefer the"
        + " unit); as root, check that no CapabilityBoundingSet= or container removes it";
  }
}
