package io.stockade.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Turns one file's JSON tree into {@link Rule}s, recording every problem. Subjects named twice
 * (within or across files) are refused here, through {@code seen}, which the loader shares over
 * all files of one load.
 */
final class RuleParser {
  static final int MAX_RULES = 1000;
  static final int MAX_SANDBOXES = 100_000;
  static final long MAX_TOTAL_VCPUS = 1L << 20;
  static final long MAX_TOTAL_MEMORY_MIB = 1L << 40;

  private static final Set<String> FILE_FIELDS = Set.of("version", "description", "rules");
  private static final Set<String> RULE_FIELDS =
      Set.of("description", "uids", "users", "groups", "admin", "grant");

  private final Problems problems;
  private final UserDatabase users;
  private final Map<String, String> seen;

  RuleParser(Problems problems, UserDatabase users, Map<String, String> seen) {
    this.problems = problems;
    this.users = users;
    this.seen = seen;
  }

  List<Rule> parseFile(JsonNode root) {
    ObjectNode file = problems.object(root, "", FILE_FIELDS);
    if (file == null) {
      return List.of();
    }
    JsonNode version = file.get("version");
    if (version == null) {
      problems.add("/version", "required field is missing: write \"version\": 1");
      return List.of();
    }
    if (!version.isIntegralNumber()) {
      problems.add("/version", "must be an integer, got " + Problems.typeOf(version));
      return List.of();
    }
    if (!version.canConvertToInt() || version.intValue() != 1) {
      // Another version's rules mean something else: validating them as version 1 would mislead.
      problems.add("/version", "unsupported version " + Problems.shorten(version.asText())
          + ": this Stockade reads version 1");
      return List.of();
    }
    problems.string(file, "", "description", false);
    List<JsonNode> ruleNodes = file.has("rules") && file.get("rules").size() > MAX_RULES
        ? tooMany(file.get("rules").size())
        : problems.array(file, "", "rules", true);
    List<Rule> rules = new ArrayList<>();
    for (int i = 0; i < ruleNodes.size(); i++) {
      Rule rule = parseRule(ruleNodes.get(i), i);
      if (rule != null) {
        rules.add(rule);
      }
    }
    return rules;
  }

  private List<JsonNode> tooMany(int size) {
    problems.add("/rules", "a file may hold at most " + MAX_RULES + " rules, got " + size
        + ": split it into several files");
    return List.of();
  }

  private Rule parseRule(JsonNode node, int index) {
    String at = Problems.child("/rules", index);
    ObjectNode rule = problems.object(node, at, RULE_FIELDS);
    if (rule == null) {
      return null;
    }
    int before = problemCount();
    problems.string(rule, at, "description", false);
    Map<Integer, String> uids = new LinkedHashMap<>();
    Map<Integer, String> gids = new LinkedHashMap<>();
    subjects(rule, at, uids, gids);
    if (!rule.has("uids") && !rule.has("users") && !rule.has("groups")) {
      problems.add(at, "a rule must name its subjects in uids, users or groups");
    } else if (uids.isEmpty() && gids.isEmpty() && problemCount() == before) {
      problems.add(at, "a rule must name at least one subject in uids, users or groups");
    }
    Boolean admin = problems.bool(rule, at, "admin");
    Grant grant = Rule.NOTHING;
    if (rule.has("grant")) {
      grant = new GrantParser(problems).parse(rule.get("grant"), Problems.child(at, "grant"));
    }
    if (problemCount() != before) {
      return null;
    }
    return new Rule(problems.file(), index, uids, gids, Boolean.TRUE.equals(admin), grant);
  }

  private int problemCount() {
    return problems.count();
  }

  private void subjects(ObjectNode rule, String at, Map<Integer, String> uids, Map<Integer, String> gids) {
    List<JsonNode> uidNodes = problems.array(rule, at, "uids", false);
    for (int i = 0; i < uidNodes.size(); i++) {
      String p = Problems.child(Problems.child(at, "uids"), i);
      JsonNode n = uidNodes.get(i);
      if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 0) {
        problems.add(p, "must be a uid from 0 to " + Integer.MAX_VALUE + ", got "
            + (n.isIntegralNumber() ? Problems.shorten(n.asText()) : Problems.typeOf(n)));
        continue;
      }
      int uid = n.intValue();
      String label = users.userName(uid).map(name -> "user " + name).orElse("uid " + uid);
      addUser(uids, uid, label, p);
    }
    List<JsonNode> userNodes = problems.array(rule, at, "users", false);
    for (int i = 0; i < userNodes.size(); i++) {
      String p = Problems.child(Problems.child(at, "users"), i);
      String name = problems.string(userNodes.get(i), p);
      if (name == null) {
        continue;
      }
      OptionalInt uid = users.uidOf(name);
      if (uid.isEmpty()) {
        problems.add(p, "no user named '" + Problems.shorten(name) + "' in " + users
            + ": create the user first, or name it by uid in uids");
        continue;
      }
      addUser(uids, uid.getAsInt(), "user " + name, p);
    }
    List<JsonNode> groupNodes = problems.array(rule, at, "groups", false);
    for (int i = 0; i < groupNodes.size(); i++) {
      String p = Problems.child(Problems.child(at, "groups"), i);
      String name = problems.string(groupNodes.get(i), p);
      if (name == null) {
        continue;
      }
      OptionalInt gid = users.gidOf(name);
      if (gid.isEmpty()) {
        problems.add(p, "no group named '" + Problems.shorten(name) + "' in " + users
            + ": create the group first (groupadd " + Problems.shorten(name) + ")");
        continue;
      }
      if (claim("gid " + gid.getAsInt(), "group " + name, p)) {
        gids.put(gid.getAsInt(), "group " + name);
      }
    }
  }

  private void addUser(Map<Integer, String> uids, int uid, String label, String pointer) {
    if (uid == 0) {
      problems.add(pointer, label + " is root, whom policy cannot restrict (root may do anything): "
          + "remove it");
      return;
    }
    if (claim("uid " + uid, label, pointer)) {
      uids.put(uid, label);
    }
  }

  /** Records where a subject is named; false (and a problem) when another place named it first. */
  private boolean claim(String key, String label, String pointer) {
    String here = problems.file() + " " + pointer;
    String first = seen.putIfAbsent(key, here);
    if (first != null) {
      problems.add(pointer, label + " (" + key + ") is already named at " + first
          + ": a subject may appear in one rule only, merge the two rules");
      return false;
    }
    return true;
  }
}
