package io.stockade.supervisor.vmm.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A hand-transcribed subset of an OpenAPI/Swagger object schema, for the fake VMM APIs: field
 * types, required fields, enums, minimums and nested objects; unknown fields are errors (the
 * real servers deserialize with deny_unknown_fields).
 */
public final class JsonShape {
  public enum Type { STRING, INTEGER, BOOLEAN, OBJECT, ARRAY }

  private record Field(Type type, boolean required, JsonShape nested, Set<String> allowed, Long minimum, Long maximum) {}

  private final String name;
  private final Map<String, Field> fields = new LinkedHashMap<>();

  private JsonShape(String name) {
    this.name = name;
  }

  public static JsonShape object(String name) {
    return new JsonShape(name);
  }

  public JsonShape req(String field, Type type) {
    fields.put(field, new Field(type, true, null, null, null, null));
    return this;
  }

  public JsonShape opt(String field, Type type) {
    fields.put(field, new Field(type, false, null, null, null, null));
    return this;
  }

  public JsonShape reqEnum(String field, String... values) {
    fields.put(field, new Field(Type.STRING, true, null, Set.of(values), null, null));
    return this;
  }

  public JsonShape optEnum(String field, String... values) {
    fields.put(field, new Field(Type.STRING, false, null, Set.of(values), null, null));
    return this;
  }

  public JsonShape reqInt(String field, long min, long max) {
    fields.put(field, new Field(Type.INTEGER, true, null, null, min, max));
    return this;
  }

  public JsonShape optInt(String field, long min, long max) {
    fields.put(field, new Field(Type.INTEGER, false, null, null, min, max));
    return this;
  }

  public JsonShape reqObject(String field, JsonShape nested) {
    fields.put(field, new Field(Type.OBJECT, true, nested, null, null, null));
    return this;
  }

  public JsonShape optObject(String field, JsonShape nested) {
    fields.put(field, new Field(Type.OBJECT, false, nested, null, null, null));
    return this;
  }

  /** An array whose items are objects of {@code items}' shape. */
  public JsonShape optArray(String field, JsonShape items) {
    fields.put(field, new Field(Type.ARRAY, false, items, null, null, null));
    return this;
  }

  /** The problems of {@code node} against this shape; empty when it conforms. */
  public List<String> check(JsonNode node) {
    List<String> problems = new ArrayList<>();
    check(node, name, problems);
    return problems;
  }

  private void check(JsonNode node, String at, List<String> problems) {
    if (node == null || !node.isObject()) {
      problems.add(at + ": expected an object");
      return;
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!fields.containsKey(f)) {
        problems.add(at + ": unknown field `" + f + "`");
      }
    }
    for (Map.Entry<String, Field> e : fields.entrySet()) {
      JsonNode v = node.get(e.getKey());
      Field f = e.getValue();
      String path = at + "." + e.getKey();
      if (v == null || v.isNull()) {
        if (f.required()) {
          problems.add(at + ": missing field `" + e.getKey() + "`");
        }
        continue;
      }
      switch (f.type()) {
        case STRING -> {
          if (!v.isTextual()) {
            problems.add(path + ": expected a string");
          } else if (f.allowed() != null && !f.allowed().contains(v.asText())) {
            problems.add(path + ": unknown variant `" + v.asText() + "`, expected one of " + f.allowed());
          }
        }
        case INTEGER -> {
          if (!v.isIntegralNumber()) {
            problems.add(path + ": expected an integer");
          } else if (f.minimum() != null && (v.asLong() < f.minimum() || v.asLong() > f.maximum())) {
            problems.add(path + ": " + v.asLong() + " outside [" + f.minimum() + ", " + f.maximum() + "]");
          }
        }
        case BOOLEAN -> {
          if (!v.isBoolean()) {
            problems.add(path + ": expected a boolean");
          }
        }
        case OBJECT -> f.nested().check(v, path, problems);
        case ARRAY -> {
          if (!v.isArray()) {
            problems.add(path + ": expected an array");
          } else {
            for (int i = 0; i < v.size(); i++) {
              f.nested().check(v.get(i), path + "[" + i + "]", problems);
            }
          }
        }
      }
    }
  }
}
