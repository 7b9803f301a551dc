package io.stockade.policy;

import java.util.List;

/**
 * One create request against one subject's {@link Entitlement}. What the policy does not permit
 * is checked first, quotas last: "quota exceeded" must mean "would be allowed once you free
 * something", never hide a request that could never succeed.
 */
final class CreateCheck {
  private final Entitlement e;
  private final Authorizer.CreateIntent intent;
  private final Authorizer.Usage usage;

  CreateCheck(Entitlement e, Authorizer.CreateIntent intent, Authorizer.Usage usage) {
    this.e = e;
    this.intent = intent;
    this.usage = usage;
  }

  void run() throws PolicyDeniedException {
    if (intent.vcpus() < 1 || intent.memoryMiB() < 1) {
      throw new IllegalArgumentException(
          "vcpus and memory must be positive; validate requests with IntentSyntax first");
    }
    Grant g = e.grant;
    if (!g.kinds().contains(intent.kind())) {
      deny("kind " + intent.kind() + " is not permitted by " + e.policy() + allowed(g.kinds()));
    }
    if (intent.kind().equals("process")) {
      String program = intent.command().isEmpty() ? "" : intent.command().get(0);
      if (!g.commands().contains("*") && !g.commands().contains(program)) {
        deny("program " + program + " is not permitted by " + e.policy() + allowed(g.commands()));
      }
    } else if (g.images().stream().noneMatch(a -> Syntax.imageCovers(a, intent.image()))) {
      deny("image " + intent.image() + " is not permitted by " + e.policy() + allowed(g.images()));
    }
    if (intent.vcpus() > g.maxVcpusPerSandbox()) {
      deny("vcpus " + intent.vcpus() + " exceeds the per-sandbox limit " + g.maxVcpusPerSandbox()
          + " of the policy for " + e.vcpusFrom);
    }
    if (intent.memoryMiB() > g.maxMemoryMiBPerSandbox()) {
      deny("memory " + intent.memoryMiB() + " MiB exceeds the per-sandbox limit "
          + g.maxMemoryMiBPerSandbox() + " MiB of the policy for " + e.memoryFrom);
    }
    for (EgressRule wanted : intent.egress()) {
      if (g.egress().stream().noneMatch(p -> Syntax.egressCovers(p, wanted))) {
        deny("egress " + format(wanted) + " is not within any egress rule of " + e.policy()
            + (g.egress().isEmpty() ? " (it permits no egress)" : ""));
      }
    }
    for (String name : intent.dnsNames()) {
      String lower = name.toLowerCase(java.util.Locale.ROOT);
      if (g.dnsNames().stream().noneMatch(a -> Syntax.dnsCovers(a, lower))) {
        deny("DNS name " + name + " is not permitted by " + e.policy() + allowed(g.dnsNames()));
      }
    }
    checkDataDisks(g);
    checkLimits(g);
    checkPlacement(g);
    checkQuota(g);
  }

  private void checkDataDisks(Grant g) throws PolicyDeniedException {
    List<Long> disks = intent.dataDiskMiB();
    if (disks.size() > g.maxDataDisks()) {
      deny(disks.size() + " data disks requested, more than the " + g.maxDataDisks()
          + " permitted by " + e.policy() + " (maxDataDisks)");
    }
    for (int i = 0; i < disks.size(); i++) {
      if (disks.get(i) > g.maxDataDiskMiB()) {
        deny("data disk " + i + " of " + disks.get(i) + " MiB exceeds the per-disk limit of "
            + g.maxDataDiskMiB() + " MiB of " + e.policy() + " (maxDataDiskMiB)");
      }
    }
  }

  private void checkLimits(Grant g) throws PolicyDeniedException {
    if (intent.pids() > g.maxPids()) {
      deny("pids " + intent.pids() + " exceeds the per-sandbox limit " + g.maxPids() + " of " + e.policy()
          + " (maxPids)" + (g.maxPids() == 0 ? ": it permits no pids limit of the request's own, leave pids out" : ""));
    }
    long io = g.maxIoBytesPerSec();
    if (io > 0 && intent.ioReadBytesPerSec() > io) {
      deny("I/O read limit " + intent.ioReadBytesPerSec() + " bytes/s exceeds the limit " + io + " of "
          + e.policy() + " (maxIoBytesPerSec)");
    }
    if (io > 0 && intent.ioWriteBytesPerSec() > io) {
      deny("I/O write limit " + intent.ioWriteBytesPerSec() + " bytes/s exceeds the limit " + io + " of "
          + e.policy() + " (maxIoBytesPerSec)");
    }
  }

  private void checkPlacement(Grant g) throws PolicyDeniedException {
    if (!g.cpus().isEmpty() && !g.cpus().containsAll(intent.cpus())) {
      deny("CPUs " + intent.cpus().minus(g.cpus()) + " are not among the CPUs " + g.cpus() + " of "
          + e.policy() + " (cpus)");
    }
    RateLimit cap = g.maxNetRate();
    if (cap.bytesPerSecond() > 0 && intent.netRate().bytesPerSecond() > cap.bytesPerSecond()) {
      deny("network rate " + intent.netRate().bytesPerSecond() + " bytes/s exceeds the limit "
          + cap.bytesPerSecond() + " of " + e.policy() + " (maxNetBytesPerSec)");
    }
    if (cap.packetsPerSecond() > 0 && intent.netRate().packetsPerSecond() > cap.packetsPerSecond()) {
      deny("network rate " + intent.netRate().packetsPerSecond() + " packets/s exceeds the limit "
          + cap.packetsPerSecond() + " of " + e.policy() + " (maxNetPacketsPerSec)");
    }
  }

  private void checkQuota(Grant g) throws QuotaExceededException {
    if ((long) usage.sandboxes() + 1 > g.maxSandboxes()) {
      throw new QuotaExceededException("sandbox quota reached: " + usage.sandboxes()
          + " held, the quota is " + g.maxSandboxes() + " of the policy for " + e.sandboxesFrom
          + "; destroy a sandbox first");
    }
    long vcpus = (long) usage.vcpus() + intent.vcpus();
    if (vcpus > g.maxVcpusTotal()) {
      throw new QuotaExceededException("vcpus " + intent.vcpus() + " would bring the total to "
          + vcpus + ", over the quota of " + g.maxVcpusTotal() + " vCPUs of the policy for "
          + e.totalVcpusFrom + " (" + usage.vcpus() + " in use)");
    }
    long memory = usage.memoryMiB() + intent.memoryMiB();
    if (memory < usage.memoryMiB() || memory > g.maxMemoryMiBTotal()) {
      throw new QuotaExceededException("memory " + intent.memoryMiB() + " MiB would bring the total to "
          + memory + " MiB, over the quota of " + g.maxMemoryMiBTotal() + " MiB of the policy for "
          + e.totalMemoryFrom + " (" + usage.memoryMiB() + " MiB in use)");
    }
  }

  private static void deny(String message) throws PolicyDeniedException {
    throw new PolicyDeniedException(message);
  }

  private static String allowed(java.util.Collection<String> values) {
    if (values.isEmpty()) {
      return " (it permits none)";
    }
    List<String> sorted = values.stream().sorted().limit(10).toList();
    return " (permitted: " + String.join(", ", sorted) + (values.size() > 10 ? ", ..." : "") + ")";
  }

  static String format(EgressRule r) {
    if (r.protocol().equals("icmp")) {
      return "icmp to " + r.cidr();
    }
    return r.protocol() + " to " + r.cidr() + (r.portFrom() == r.portTo()
        ? " port " + r.portFrom()
        : " ports " + r.portFrom() + "-" + r.portTo());
  }
}
