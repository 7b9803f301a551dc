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
        (int) limits[3], limits[4], List.copyOf(egress), List.copyOf(dnsNames), List.copyOf(commands));
    return new Entitlement(merged, admin, sources, from);
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
