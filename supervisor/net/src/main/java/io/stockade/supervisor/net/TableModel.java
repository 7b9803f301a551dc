package io.stockade.supervisor.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A table as we mean it to be: every chain, rule and set added through this class goes into the
 * batch and into the expectation that {@link #verify} checks the kernel's listing against (chain
 * hooks and policies, the verdict of every rule in order with the rate limits it applies, and the
 * exact contents of address sets).
 */
final class TableModel {
  record ChainShape(String hook, String policy, List<String> verdicts) {}

  final String family;
  final String name;
  final Nft.Batch batch = new Nft.Batch();
  private final Map<String, ChainShape> chains = new LinkedHashMap<>();
  private final Map<String, Set<Allowlist.Element>> sets = new LinkedHashMap<>();

  TableModel(String family, String name) {
    this.family = family;
    this.name = name;
  }

  void baseChain(String chain, String type, String hook, int prio, String policy) {
    batch.cmd("add", "chain", Nft.baseChain(family, name, chain, type, hook, prio, policy));
    chains.put(chain, new ChainShape(hook, policy, new ArrayList<>()));
  }

  void chain(String chain) {
    batch.cmd("add", "chain", Nft.chain(family, name, chain));
    chains.put(chain, new ChainShape(null, null, new ArrayList<>()));
  }

  /** A chain that exists already (a change flushes and refills it). */
  void existingChain(String chain) {
    chains.put(chain, new ChainShape(null, null, new ArrayList<>()));
  }

  void rule(String chain, JsonNode... expr) {
    ObjectNode r = Nft.rule(family, name, chain, expr);
    batch.cmd("add", "rule", r);
    chains.get(chain).verdicts().add(verdictOf((ArrayNode) r.get("expr")));
  }

  /** An address (x port) set whose contents are checked exactly. */
  void addressSet(String set, boolean withPorts, List<Allowlist.Element> elements) {
    batch.cmd("add", "set", Nft.set(family, name, set,
        withPorts ? List.of("ipv4_addr", "inet_service") : List.of("ipv4_addr"), true));
    addElements(batch, set, withPorts, elements);
    sets.put(set, new HashSet<>(elements));
  }

  /** A set filled elsewhere (per-sandbox elements): only its existence is checked here. */
  void dynamicSet(String set, List<String> type) {
    batch.cmd("add", "set", Nft.set(family, name, set, type, false));
  }

  void addElements(Nft.Batch to, String set, boolean withPorts, List<Allowlist.Element> elements) {
    if (elements.isEmpty()) {
      return;
    }
    ArrayNode elems = Nft.array();
    for (Allowlist.Element e : elements) {
      JsonNode addr = Nft.addressElement(e.addrFirst(), e.addrLast());
      elems.add(withPorts ? Nft.concat(addr, Nft.portElement(e.portFirst(), e.portLast())) : addr);
    }
    to.cmd("add", "element", Nft.elements(family, name, set, elems));
  }

  void expectSet(String set, List<Allowlist.Element> elements) {
    sets.put(set, new HashSet<>(elements));
  }

  /** Compares {@code nft -j list table} output with the model; returns the differences. */
  List<String> verify(JsonNode listing) {
    List<String> problems = new ArrayList<>();
    Map<String, JsonNode> seenChains = new HashMap<>();
    Map<String, List<String>> seenRules = new HashMap<>();
    Map<String, JsonNode> seenSets = new HashMap<>();
    for (JsonNode item : listing.path("nftables")) {
      if (item.has("chain")) {
        seenChains.put(item.get("chain").path("name").asText(), item.get("chain"));
      } else if (item.has("rule")) {
        JsonNode r = item.get("rule");
        seenRules.computeIfAbsent(r.path("chain").asText(), k -> new ArrayList<>())
            .add(verdictOf((ArrayNode) r.path("expr")));
      } else if (item.has("set")) {
        seenSets.put(item.get("set").path("name").asText(), item.get("set"));
      }
    }
    if (!seenChains.keySet().equals(chains.keySet())) {
      problems.add("chains " + seenChains.keySet() + ", expected " + chains.keySet());
    }
    chains.forEach((chain, shape) -> {
      JsonNode seen = seenChains.get(chain);
      if (seen == null) {
        return;
      }
      if (shape.hook() != null && (!shape.hook().equals(seen.path("hook").asText())
          || !shape.policy().equals(seen.path("policy").asText()))) {
        problems.add("chain " + chain + " has hook " + seen.path("hook").asText() + " policy "
            + seen.path("policy").asText() + ", expected " + shape.hook() + " " + shape.policy());
      }
      List<String> verdicts = seenRules.getOrDefault(chain, List.of());
      if (!verdicts.equals(shape.verdicts())) {
        problems.add("chain " + chain + " has rules " + verdicts + ", expected " + shape.verdicts());
      }
    });
    sets.forEach((set, expected) -> {
      JsonNode seen = seenSets.get(set);
      if (seen == null) {
        problems.add("set " + set + " is missing");
        return;
      }
      Set<Allowlist.Element> actual = new HashSet<>();
      for (JsonNode e : seen.path("elem")) {
        actual.add(parseElement(e));
      }
      if (!actual.equals(expected)) {
        problems.add("set " + set + " holds " + actual.size() + " elements " + actual
            + ", expected " + expected);
      }
    });
    return problems;
  }

  /**
   * What a rule does, for comparison: its verdict, preceded by any rate limit it applies (in
   * {@link RateRules#describe normal form}), so that a missing or changed limit is a difference.
   */
  static String verdictOf(ArrayNode expr) {
    if (expr.isEmpty()) {
      return "none";
    }
    StringBuilder limits = new StringBuilder();
    for (JsonNode e : expr) {
      if (e.has("limit")) {
        limits.append(RateRules.describe(e.get("limit"))).append(": ");
      }
    }
    JsonNode last = expr.get(expr.size() - 1);
    String kind = last.fieldNames().next();
    if (kind.equals("jump") || kind.equals("goto")) {
      return limits + kind + ":" + last.get(kind).path("target").asText();
    }
    return limits + kind;
  }

  /** Reads an element in any of the forms nft prints back into numbers. */
  static Allowlist.Element parseElement(JsonNode e) {
    if (e.has("elem")) {
      return parseElement(e.get("elem").get("val"));
    }
    if (e.has("concat")) {
      long[] a = addr(e.get("concat").get(0));
      int[] p = port(e.get("concat").get(1));
      return new Allowlist.Element(a[0], a[1], p[0], p[1]);
    }
    long[] a = addr(e);
    return new Allowlist.Element(a[0], a[1], -1, -1);
  }

  private static long[] addr(JsonNode n) {
    if (n.isTextual()) {
      long v = Ipv4.parse(n.asText());
      return new long[] {v, v};
    }
    if (n.has("prefix")) {
      Ipv4.Range r = Ipv4.cidr(n.get("prefix").path("addr").asText() + "/"
          + n.get("prefix").path("len").asInt());
      return new long[] {r.first(), r.last()};
    }
    if (n.has("range")) {
      return new long[] {Ipv4.parse(n.get("range").get(0).asText()),
          Ipv4.parse(n.get("range").get(1).asText())};
    }
    throw new IllegalArgumentException("unexpected set element " + n);
  }

  private static int[] port(JsonNode n) {
    if (n.isNumber()) {
      return new int[] {n.asInt(), n.asInt()};
    }
    if (n.has("range")) {
      return new int[] {n.get("range").get(0).asInt(), n.get("range").get(1).asInt()};
    }
    throw new IllegalArgumentException("unexpected port element " + Objects.toString(n));
  }
}
