package io.stockade.supervisor.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Builders for the nftables JSON schema (libnftables-json(5)). Every value goes in as a JSON
 * value, so nothing a caller passes can change the structure of a command.
 */
final class Nft {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private Nft() {}

  /** One batch: a list of commands applied as one transaction by {@code nft -j -f -}. */
  static final class Batch {
    private final ArrayNode commands = F.arrayNode();

    Batch cmd(String verb, String objectType, ObjectNode object) {
      ObjectNode inner = F.objectNode();
      inner.set(objectType, object);
      ObjectNode outer = F.objectNode();
      outer.set(verb, inner);
      commands.add(outer);
      return this;
    }

    boolean isEmpty() {
      return commands.isEmpty();
    }

    String toJson() {
      ObjectNode root = F.objectNode();
      root.set("nftables", commands);
      return root.toString();
    }
  }

  static ObjectNode table(String family, String name) {
    return F.objectNode().put("family", family).put("name", name);
  }

  static ObjectNode baseChain(String family, String table, String name, String type, String hook,
      int prio, String policy) {
    return F.objectNode().put("family", family).put("table", table).put("name", name)
        .put("type", type).put("hook", hook).put("prio", prio).put("policy", policy);
  }

  static ObjectNode chain(String family, String table, String name) {
    return F.objectNode().put("family", family).put("table", table).put("name", name);
  }

  static ObjectNode set(String family, String table, String name, List<String> type,
      boolean interval) {
    ObjectNode s = F.objectNode().put("family", family).put("table", table).put("name", name);
    if (type.size() == 1) {
      s.put("type", type.get(0));
    } else {
      ArrayNode t = s.putArray("type");
      type.forEach(t::add);
    }
    if (interval) {
      s.putArray("flags").add("interval");
    }
    return s;
  }

  static ObjectNode elements(String family, String table, String set, ArrayNode elems) {
    ObjectNode e = F.objectNode().put("family", family).put("table", table).put("name", set);
    e.set("elem", elems);
    return e;
  }

  static ObjectNode counter(String family, String table, String name) {
    return F.objectNode().put("family", family).put("table", table).put("name", name);
  }

  static ObjectNode rule(String family, String table, String chain, JsonNode... expr) {
    ObjectNode r = F.objectNode().put("family", family).put("table", table).put("chain", chain);
    ArrayNode e = r.putArray("expr");
    for (JsonNode x : expr) {
      e.add(x);
    }
    return r;
  }

  static ArrayNode array() {
    return F.arrayNode();
  }

  // ---- expressions

  static ObjectNode match(String op, JsonNode left, JsonNode right) {
    ObjectNode m = F.objectNode().put("op", op);
    m.set("left", left);
    m.set("right", right);
    return wrap("match", m);
  }

  static ObjectNode eq(JsonNode left, JsonNode right) {
    return match("==", left, right);
  }

  static ObjectNode ne(JsonNode left, JsonNode right) {
    return match("!=", left, right);
  }

  static ObjectNode meta(String key) {
    return wrap("meta", F.objectNode().put("key", key));
  }

  static ObjectNode payload(String protocol, String field) {
    return wrap("payload", F.objectNode().put("protocol", protocol).put("field", field));
  }

  static ObjectNode ct(String key) {
    return wrap("ct", F.objectNode().put("key", key));
  }

  static ObjectNode concat(JsonNode... parts) {
    ArrayNode a = F.arrayNode();
    for (JsonNode p : parts) {
      a.add(p);
    }
    return wrap("concat", a);
  }

  static JsonNode str(String s) {
    return F.textNode(s);
  }

  static JsonNode num(long n) {
    return F.numberNode(n);
  }

  static JsonNode setRef(String name) {
    return F.textNode("@" + name);
  }

  static ObjectNode anonSet(JsonNode... values) {
    ArrayNode a = F.arrayNode();
    for (JsonNode v : values) {
      a.add(v);
    }
    return wrap("set", a);
  }

  static ObjectNode prefix(String addr, int len) {
    return wrap("prefix", F.objectNode().put("addr", addr).put("len", len));
  }

  static ObjectNode range(JsonNode from, JsonNode to) {
    ArrayNode a = F.arrayNode();
    a.add(from);
    a.add(to);
    return wrap("range", a);
  }

  static ObjectNode namedCounter(String name) {
    return wrap("counter", F.textNode(name));
  }

  static ObjectNode verdict(String v) {
    return wrap(v, F.nullNode());
  }

  static ObjectNode jump(String target) {
    return wrap("jump", F.objectNode().put("target", target));
  }

  static ObjectNode rejectTcpReset() {
    return wrap("reject", F.objectNode().put("type", "tcp reset"));
  }

  static ObjectNode rejectAdminProhibited() {
    return wrap("reject", F.objectNode().put("type", "icmpx").put("expr", "admin-prohibited"));
  }

  static ObjectNode masquerade() {
    return wrap("masquerade", F.nullNode());
  }

  private static ObjectNode wrap(String key, JsonNode value) {
    ObjectNode o = F.objectNode();
    o.set(key, value);
    return o;
  }

  /** An address range as the shortest element form: a plain address, a prefix, or a range. */
  static JsonNode addressElement(long first, long last) {
    if (first == last) {
      return str(Ipv4.format(first));
    }
    long size = last - first + 1;
    if (Long.bitCount(size) == 1 && (first & (size - 1)) == 0) {
      return prefix(Ipv4.format(first), 32 - Long.numberOfTrailingZeros(size));
    }
    return range(str(Ipv4.format(first)), str(Ipv4.format(last)));
  }

  static JsonNode portElement(int first, int last) {
    return first == last ? num(first) : range(num(first), num(last));
  }
}
