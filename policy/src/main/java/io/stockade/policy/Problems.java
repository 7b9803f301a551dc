package io.stockade.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Typed access to one parsed file's JSON tree that records a {@link PolicyProblem} (file, JSON
 * pointer, reason) for every value of the wrong shape and carries on, so one load reports every
 * problem. Accessors return null when the value is missing or wrong; the caller skips it.
 */
final class Problems {
  static final int MAX_ARRAY = 1024;
  static final int MAX_STRING = 4096;

  private final Path file;
  private final List<PolicyProblem> list;

  Problems(Path file, List<PolicyProblem> list) {
    this.file = file;
    this.list = list;
  }

  Path file() {
    return file;
  }

  int count() {
    return list.size();
  }

  void add(String pointer, String reason) {
    list.add(new PolicyProblem(file, pointer, reason));
  }

  static String child(String pointer, String field) {
    return pointer + "/" + field.replace("~", "~0").replace("/", "~1");
  }

  static String child(String pointer, int index) {
    return pointer + "/" + index;
  }

  /** The node as an object whose fields are all in {@code allowed}; null after a problem. */
  ObjectNode object(JsonNode node, String pointer, Set<String> allowed) {
    if (!node.isObject()) {
      add(pointer, "must be an object, got " + typeOf(node));
      return null;
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!allowed.contains(name)) {
        add(child(pointer, name), "unknown field '" + shorten(name) + "': expected one of "
            + String.join(", ", allowed.stream().sorted().toList()));
      }
    }
    return (ObjectNode) node;
  }

  /** An integer field within [min, max]; null when absent (a problem too if required) or wrong. */
  Long integer(ObjectNode obj, String pointer, String field, long min, long max, boolean required) {
    JsonNode node = obj.get(field);
    String at = child(pointer, field);
    if (node == null) {
      if (required) {
        add(at, "required field is missing");
      }
      return null;
    }
    if (!node.isIntegralNumber()) {
      add(at, "must be an integer, got " + typeOf(node));
      return null;
    }
    if (!node.canConvertToLong() || node.longValue() < min || node.longValue() > max) {
      add(at, "must be from " + min + " to " + max + ", got " + shorten(node.asText()));
      return null;
    }
    return node.longValue();
  }

  Boolean bool(ObjectNode obj, String pointer, String field) {
    JsonNode node = obj.get(field);
    if (node == null) {
      return null;
    }
    if (!node.isBoolean()) {
      add(child(pointer, field), "must be true or false, got " + typeOf(node));
      return null;
    }
    return node.booleanValue();
  }

  String string(ObjectNode obj, String pointer, String field, boolean required) {
    JsonNode node = obj.get(field);
    String at = child(pointer, field);
    if (node == null) {
      if (required) {
        add(at, "required field is missing");
      }
      return null;
    }
    return string(node, at);
  }

  String string(JsonNode node, String at) {
    if (!node.isTextual()) {
      add(at, "must be a string, got " + typeOf(node));
      return null;
    }
    if (node.textValue().length() > MAX_STRING) {
      add(at, "must be at most " + MAX_STRING + " characters, got " + node.textValue().length());
      return null;
    }
    return node.textValue();
  }

  /** The elements of an array field (empty when absent); a problem if it is not an array. */
  List<JsonNode> array(ObjectNode obj, String pointer, String field, boolean required) {
    JsonNode node = obj.get(field);
    String at = child(pointer, field);
    if (node == null) {
      if (required) {
        add(at, "required field is missing");
      }
      return List.of();
    }
    if (!node.isArray()) {
      add(at, "must be an array, got " + typeOf(node));
      return List.of();
    }
    if (node.size() > MAX_ARRAY) {
      add(at, "must have at most " + MAX_ARRAY + " entries, got " + node.size());
      return List.of();
    }
    List<JsonNode> out = new ArrayList<>();
    node.forEach(out::add);
    return out;
  }

  static String typeOf(JsonNode node) {
    if (node.isTextual()) {
      return "a string";
    } else if (node.isIntegralNumber()) {
      return "an integer";
    } else if (node.isNumber()) {
      return "a number with a fraction or exponent";
    } else if (node.isBoolean()) {
      return "a boolean";
    } else if (node.isNull()) {
      return "null";
    } else if (node.isArray()) {
      return "an array";
    } else if (node.isObject()) {
      return "an object";
    }
    return node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
  }

  /** Keeps hostile values (a megabyte of digits, a huge key) out of messages and logs. */
  static String shorten(String s) {
    return shorten(s, 64);
  }

  static String shorten(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 3) + "...";
  }
}
