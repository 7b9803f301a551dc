package io.stockade.policy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A subject's merged grant plus where each part came from, so a refusal names the rule to edit.
 *
 * <p>Merging (docs/policy.md, "How rules combine"): a rule naming the subject's uid (directly or
 * by user name) is used alone, ignoring group rules; otherwise every rule naming one of its groups
 * contributes, sets by union and limits by maximum.
 */
final class Entitlement {
  final Grant grant;
  final boolean admin;
  final List<Source> sources;
  final Source sandboxesFrom;
  final Source vcpusFrom;
  final Source memoryFrom;
  final Source totalVcpusFrom;
  final Source totalMemoryFrom;

  private Entitlement(Grant grant, boolean admin, List<Source> sources, Source[] limitSources) {
    this.grant = grant;
    this.admin = admin;
    this.sources = List.copyOf(sources);
    this.sandboxesFrom = limitSources[0];
    this.vcpusFrom = limitSources[1];
    this.memoryFrom = limitSources[2];
    this.totalVcpusFrom = limitSources[3];
    this.totalMemoryFrom = limitSources[4];
  }

  static Entitlement ofUserRule(Rule rule, int uid) {
    Source source = new Source(rule.uids().get(uid), rule.file());
    Source[] all = {source, source, source, source, source};
    return new Entitlement(rule.grant(), rule.admin(), List.of(source), all);
  }

  /** Union of sets, maximum of limits; on ties the earliest rule (file order) is named. */
  static Entitlement ofGroupRules(List<Rule> rules, Set<Integer> subjectGroups) {
    Set<String> kinds = new LinkedHashSet<>();
    Set<String> images = new LinkedHashSet<>();
    Set<EgressRule> egress = new LinkedHashSet<>();
    Set<String> dnsNames = new LinkedHashSet<>();
    Set<String> commands = new LinkedHashSet<>();
    long[] limits = new long[5];
    Source[] from = new Source[5];
    List<Source> sources = new ArrayList<>();
    boolean admin = false;
    int dataDisks = 0;
    long dataDiskMiB = 0;
    long pids = 0;
    long openFiles = 0;
    // 0 is "no cap", the most permissive: one rule without a cap lifts it.
    long io = -1;
    long netBytes = -1;
    long netPackets = -1;
    // CPUs: the union; one rule without a restriction lifts it (like a missing cap).
    CpuList cpus = null;
    for (Rule rule : rules) {
      Source source = new Source(label(rule, subjectGroups), rule.file());
      sources.add(source);
      Grant g = rule.grant();
      kinds.addAll(g.kinds());
      images.addAll(g.images());
      egress.addAll(g.egress());
      dnsNames.addAll(g.dnsNames());
      commands.addAll(g.commands());
      admin |= rule.admin();
      dataDisks = Math.max(dataDisks, g.maxDataDisks());
      dataDiskMiB = Math.max(dataDiskMiB, g.maxDataDiskMiB());
      pids = Math.max(pids, g.maxPids());
      openFiles = Math.max(openFiles, g.openFiles());
      io = io == 0 || g.maxIoBytesPerSec() == 0 ? 0 : Math.max(io, g.maxIoBytesPerSec());
      netBytes = loosest(netBytes, g.maxNetRate().bytesPerSecond());
      netPackets = loosest(netPackets, g.maxNetRate().packetsPerSecond());
      cpus = cpus == null ? g.cpus() : cpus.isEmpty() || g.cpus().isEmpty() ? CpuList.NONE : union(cpus, g.cpus());
      long[] these = {g.maxSandboxes(), g.maxVcpusPerSandbox(), g.maxMemoryMiBPerSandbox(),
          g.maxVcpusTotal(), g.maxMemoryMiBTotal()};
      for (int i = 0; i < 5; i++) {
        if (from[i] == null || these[i] > limits[i]) {
          limits[i] = these[i];
          from[i] = source;
        }
      }
    }
    Grant merged = new Grant(kinds, images, (int) limits[0], (int) limits[1], limits[2],
        (int) limits[3], limits[4], List.copyOf(egress), List.copyOf(dnsNames), List.copyOf(commands),
        dataDisks, dataDiskMiB, pids, Math.max(io, 0), cpus == null ? CpuList.NONE : cpus,
        new RateLimit(Math.max(netBytes, 0), Math.max(netPackets, 0)), openFiles);
    return new Entitlement(merged, admin, sources, from);
  }

  /** Of two caps where 0 is "none" (the loosest) and -1 "not seen yet", the looser. */
  private static long loosest(long sofar, long cap) {
    return sofar == 0 || cap == 0 ? 0 : Math.max(sofar, cap);
  }

  private static CpuList union(CpuList a, CpuList b) {
    return CpuList.parse(a + "," + b);
  }

  private static String label(Rule rule, Set<Integer> subjectGroups) {
    return rule.gids().entrySet().stream()
        .filter(e -> subjectGroups.contains(e.getKey()))
        .map(e -> e.getValue())
        .sorted()
        .collect(Collectors.joining(", "));
  }

  /** "the policy for user alice (/f)" or "the policies for group a (/f1), group b (/f2)". */
  static String policyOf(List<Source> sources) {
    return (sources.size() == 1 ? "the policy for " : "the policies for ")
        + sources.stream().map(Source::toString).collect(Collectors.joining(", "));
  }

  String policy() {
    return policyOf(sources);
  }
}
