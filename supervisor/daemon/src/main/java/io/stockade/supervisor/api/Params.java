package io.stockade.supervisor.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.policy.EgressRule;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads one call's parameters strictly: unknown names and wrong types are InvalidParameter
 * errors naming the parameter (JSON null counts as absent, as varlink's optional types say).
 */
final class Params {
  private final ObjectNode node;
  private final String prefix;

  private Params(ObjectNode node, String prefix) {
    this.node = node;
    this.prefix = prefix;
  }

  static Params of(ObjectNode node, String... allowed) throws ApiError {
    return nested(node == null ? JsonNodeFactory.instance.objectNode() : node, "", allowed);
  }

  private static Params nested(ObjectNode node, String prefix, String... allowed) throws ApiError {
    Set<String> ok = Set.of(allowed);
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!ok.contains(name)) {
        throw ApiError.invalidParameter(prefix + name);
      }
    }
    return new Params(node, prefix);
  }

  Params object(String name, boolean required, String... allowed) throws ApiError {
    JsonNode v = value(name, required);
    if (v == null) {
      return nested(JsonNodeFactory.instance.objectNode(), prefix + name + ".", allowed);
    }
    if (!v.isObject()) {
      throw ApiError.invalidParameter(prefix + name);
    }
    return nested((ObjectNode) v, prefix + name + ".", allowed);
  }

  private JsonNode value(String name, boolean required) throws ApiError {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      if (required) {
        throw ApiError.invalidParameter(prefix + name);
      }
      return null;
    }
    return v;
  }

  String string(String name, boolean required) throws ApiError {
    JsonNode v = value(name, required);
    if (v == null) {
      return null;
    }
    if (!v.isTextual()) {
      throw ApiError.invalidParameter(prefix + name);
    }
    return v.textValue();
  }

  /** An integer, or {@code dflt} when absent. */
  long integer(String name, long dflt, long min, long max) throws ApiError {
    JsonNode v = value(name, false);
    if (v == null) {
      return dflt;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
      throw ApiError.invalidParameter(prefix + name);
    }
    return v.longValue();
  }

  Boolean bool(String name) throws ApiError {
    JsonNode v = value(name, false);
    if (v == null) {
      return null;
    }
    if (!v.isBoolean()) {
      throw ApiError.invalidParameter(prefix + name);
    }
    return v.booleanValue();
  }

  List<String> strings(String name) throws ApiError {
    JsonNode v = value(name, false);
    if (v == null) {
      return null;
    }
    if (!v.isArray()) {
      throw ApiError.invalidParameter(prefix + name);
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : v) {
      if (!e.isTextual()) {
        throw ApiError.invalidParameter(prefix + name);
      }
      out.add(e.textValue());
    }
    return out;
  }

  List<EgressRule> egress(String name) throws ApiError {
    JsonNode v = value(name, false);
    if (v == null) {
      return null;
    }
    if (!v.isArray()) {
      throw ApiError.invalidParameter(prefix + name);
    }
    List<EgressRule> out = new ArrayList<>();
    int i = 0;
    for (JsonNode e : v) {
      String where = name + "[" + i++ + "]";
      if (!e.isObject()) {
        throw ApiError.invalidParameter(prefix + where);
      }
      Params p = nested((ObjectNode) e, prefix + where + ".", "cidr", "protocol", "portFrom", "portTo");
      out.add(
          new EgressRule(
              p.string("cidr", true),
              p.string("protocol", true),
              (int) p.integer("portFrom", 0, 0, 65535),
              (int) p.integer("portTo", 0, 0, 65535)));
    }
    return out;
  }
}
