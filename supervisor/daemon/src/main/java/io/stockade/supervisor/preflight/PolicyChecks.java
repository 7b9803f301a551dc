package io.stockade.supervisor.preflight;

import io.stockade.policy.Authorizer.SourcedGrant;
import io.stockade.policy.CpuList;
import io.stockade.policy.Grant;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Whether this host can honour what the policy grants: the VMM of every granted kind is
 * installed, CPU pinning has a cpuset controller and CPUs to pin to, I/O caps have an io or blkio
 * controller, network grants have networking on. Each finding names the rule (file and JSON
 * pointer) that asks for the missing thing, since the remedy is either the host or that rule.
 */
final class PolicyChecks {
  private PolicyChecks() {}

  static List<CheckResult> check(HostRoot host, PolicyDemands demands, Map<String, Path> vmmBinaries) {
    List<CheckResult> out = new ArrayList<>();
    if (demands.loadProblem().isPresent()) {
      out.add(CheckResult.fail("policy", "the policy does not load: " + demands.loadProblem().get(),
          "fix the files it names (`stockade-supervisor run` refuses to start with them)"));
      return out;
    }
    List<SourcedGrant> grants = demands.grants();
    out.add(CheckResult.ok("policy", grants.isEmpty()
        ? "no rules: only root may create sandboxes" : grants.size() + " rule(s)"));
    out.add(kinds(grants, vmmBinaries));
    cpus(host, demands).ifPresent(out::add);
    io(host, demands).ifPresent(out::add);
    network(demands).ifPresent(out::add);
    return out;
  }

  private static CheckResult kinds(List<SourcedGrant> grants, Map<String, Path> vmmBinaries) {
    Map<String, String> firstGrant = new LinkedHashMap<>();
    for (SourcedGrant g : grants) {
      g.grant().kinds().stream().sorted().forEach(k -> firstGrant.putIfAbsent(k, g.source()));
    }
    List<String> missing = new ArrayList<>();
    firstGrant.forEach((kind, source) -> {
      Path bin = vmmBinaries.get(kind);
      if (bin != null && !Files.isExecutable(bin)) {
        missing.add(kind + " (granted by " + source + ") needs " + bin);
      }
    });
    if (!missing.isEmpty()) {
      return CheckResult.fail("policy.kinds", "granted kinds without their VMM: " + String.join("; ", missing),
          "install the VMM (or point vmm.<kind> at it), or take the kind out of those grants: Create of it"
              + " fails as Unsupported");
    }
    return CheckResult.ok("policy.kinds", firstGrant.isEmpty() ? "no kinds granted" : "granted: "
        + String.join(", ", firstGrant.keySet()) + " (each one's VMM is installed)");
  }

  private static Optional<CheckResult> cpus(HostRoot host, PolicyDemands d) {
    Map<String, CpuList> pins = new LinkedHashMap<>();
    d.grants().stream().filter(g -> !g.grant().cpus().isEmpty()).forEach(g -> pins.put(g.source(), g.grant().cpus()));
    if (!d.defaultCpus().isEmpty()) {
      pins.put("defaults.cpus", d.defaultCpus());
    }
    if (pins.isEmpty()) {
      return Optional.empty();
    }
    if (!CgroupChecks.usable(host, "cpuset")) {
      return Optional.of(CheckResult.fail("policy.cpus", "CPU pinning is asked for by " + String.join(", ", pins.keySet())
          + ", but no cpuset controller is usable (neither cgroup v2 nor v1)",
          "enable the cpuset controller for the supervisor's cgroup; until then every sandbox they pin is refused at"
              + " Start"));
    }
    Optional<CpuList> host2 = host.field("/proc/self/status", "Cpus_allowed_list").map(CpuList::parse);
    List<String> beyond = new ArrayList<>();
    if (host2.isPresent()) {
      pins.forEach((source, cpus) -> {
        CpuList outside = cpus.minus(host2.get());
        if (!outside.isEmpty()) {
          beyond.add(source + " names CPUs " + outside);
        }
      });
    }
    if (!beyond.isEmpty()) {
      return Optional.of(CheckResult.fail("policy.cpus", String.join("; ", beyond) + ", which this host does not give the"
          + " supervisor (it may use " + host2.get() + ")", "correct those cpus lists; requests pinned there are refused"));
    }
    return Optional.of(CheckResult.ok("policy.cpus", "pinning by " + String.join(", ", pins.keySet())
        + " fits a usable cpuset" + host2.map(c -> " (the supervisor may use " + c + ")").orElse("")));
  }

  private static Optional<CheckResult> io(HostRoot host, PolicyDemands d) {
    List<String> askers = sources(d, g -> g.maxIoBytesPerSec() > 0);
    if (d.defaultIoLimit()) {
      askers.add("defaults.io*BytesPerSec");
    }
    if (askers.isEmpty()) {
      return Optional.empty();
    }
    if (CgroupChecks.usable(host, "io")) {
      return Optional.of(CheckResult.ok("policy.io", "I/O limits asked for by " + String.join(", ", askers)
          + " have an io/blkio controller"));
    }
    return Optional.of(CheckResult.fail("policy.io", "I/O limits are asked for by " + String.join(", ", askers)
        + ", but neither the v2 io nor the v1 blkio controller is usable",
        "enable io (or blkio) for the supervisor's cgroup, or drop those limits: sandboxes with them are refused at"
            + " Start"));
  }

  private static Optional<CheckResult> network(PolicyDemands d) {
    List<String> askers = sources(d, g -> !g.egress().isEmpty() || !g.dnsNames().isEmpty() || g.maxNetRate().limits());
    if (askers.isEmpty() || d.networkEnabled()) {
      return Optional.empty();
    }
    return Optional.of(CheckResult.warn("policy.network", "network.enabled is false, but " + String.join(", ", askers)
        + " grant network destinations", "set network.enabled true, or expect Create with a network to be refused"));
  }

  private static List<String> sources(PolicyDemands d, Predicate<Grant> asks) {
    List<String> out = new ArrayList<>();
    d.grants().stream().filter(g -> asks.test(g.grant())).forEach(g -> out.add(g.source()));
    return out;
  }
}
