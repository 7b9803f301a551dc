package io.stockade.policy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The loaded policy: rules indexed by uid and gid, merged per subject on demand. Immutable. */
final class PolicyAuthorizer implements Authorizer {
  /** What root may do: everything (grantFor reports it so, for clients that ask). */
  static final Grant ROOT_GRANT = new Grant(
      Syntax.KINDS, Set.of("*"), Integer.MAX_VALUE, Syntax.MAX_VCPUS, Syntax.MAX_MEMORY_MIB,
      Integer.MAX_VALUE, Long.MAX_VALUE,
      List.of(new EgressRule("0.0.0.0/0", "tcp", 1, 65535), new EgressRule("0.0.0.0/0", "udp", 1, 65535),
          new EgressRule("0.0.0.0/0", "icmp", 0, 0), new EgressRule("::/0", "tcp", 1, 65535),
          new EgressRule("::/0", "udp", 1, 65535), new EgressRule("::/0", "icmp", 0, 0)),
      List.of("*"), List.of("*"), Syntax.MAX_DATA_DISKS, Syntax.MAX_DATA_DISK_MIB, Syntax.MAX_PIDS, 0);

  private final Map<Integer, Rule> byUid = new HashMap<>();
  private final Map<Integer, List<Rule>> byGid = new HashMap<>();
  private final List<Path> files;
  private final int ruleCount;
  private final List<SourcedGrant> grants = new ArrayList<>();

  PolicyAuthorizer(List<Rule> rules, List<Path> files) {
    for (Rule rule : rules) {
      rule.uids().keySet().forEach(uid -> byUid.put(uid, rule));
      rule.gids().keySet().forEach(gid -> byGid.computeIfAbsent(gid, g -> new ArrayList<>()).add(rule));
      grants.add(new SourcedGrant(rule.file() + "#/rules/" + rule.index(), rule.grant()));
    }
    this.files = List.copyOf(files);
    this.ruleCount = rules.size();
  }

  @Override
  public Optional<Grant> grantFor(Subject subject) {
    if (subject.isRoot()) {
      return Optional.of(ROOT_GRANT);
    }
    return entitlement(subject).map(e -> e.grant);
  }

  @Override
  public List<SourcedGrant> grants() {
    return List.copyOf(grants);
  }

  @Override
  public boolean isAdmin(Subject subject) {
    return subject.isRoot() || entitlement(subject).map(e -> e.admin).orElse(false);
  }

  @Override
  public void checkCreate(Subject subject, CreateIntent intent, Usage current)
      throws PolicyDeniedException {
    if (subject.isRoot()) {
      return;
    }
    Optional<Entitlement> e = entitlement(subject);
    if (e.isEmpty()) {
      throw new PolicyDeniedException("no policy names " + describe(subject) + files()
          + ": add a rule naming the user or one of its groups");
    }
    new CreateCheck(e.get(), intent, current).run();
  }

  Optional<Entitlement> entitlement(Subject subject) {
    Rule userRule = byUid.get(subject.uid());
    if (userRule != null) {
      return Optional.of(Entitlement.ofUserRule(userRule, subject.uid()));
    }
    // The primary gid is in groups per the Subject contract; add it anyway, a caller may forget.
    Set<Integer> groups = new LinkedHashSet<>(subject.groups());
    groups.add(subject.gid());
    Set<Rule> matched = new LinkedHashSet<>();
    for (Integer gid : groups) {
      matched.addAll(byGid.getOrDefault(gid, List.of()));
    }
    if (matched.isEmpty()) {
      return Optional.empty();
    }
    List<Rule> ordered = new ArrayList<>(matched);
    ordered.sort((a, b) -> a.file().equals(b.file())
        ? Integer.compare(a.index(), b.index())
        : a.file().getFileName().toString().compareTo(b.file().getFileName().toString()));
    return Optional.of(Entitlement.ofGroupRules(ordered, groups));
  }

  private static String describe(Subject s) {
    return s.userName().isEmpty() ? "uid " + s.uid() : "user " + s.userName() + " (uid " + s.uid() + ")";
  }

  private String files() {
    return files.isEmpty() ? " (the policy is empty)" : " in " + files.size() + " policy file(s)";
  }

  @Override
  public String toString() {
    return "policy of " + ruleCount + " rule(s) from " + files;
  }
}
