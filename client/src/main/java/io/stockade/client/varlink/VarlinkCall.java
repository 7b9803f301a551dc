package io.stockade.client.varlink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A varlink method call: {@code {"method": "iface.Method", "parameters": {...}, "more": true}}.
 *
 * @param method fully qualified method name, {@code io.stockade.Supervisor.Ping}
 * @param parameters the call's parameters (an empty object when there are none)
 * @param more the caller accepts several replies (each but the last with {@code continues})
 * @param oneway the caller wants no reply at all
 * @param upgrade the caller wants to switch the connection to another protocol after the reply
 */
public record VarlinkCall(
    String method, ObjectNode parameters, boolean more, boolean oneway, boolean upgrade) {

  // Interface: reverse-domain labels; method: an upper-case identifier (varlink IDL grammar).
  private static final Pattern METHOD =
      Pattern.compile("[A-Za-z](?:-*[A-Za-z0-9])*(?:\\.[A-Za-z0-9](?:-*[A-Za-z0-9])*)+\\.[A-Z][A-Za-z0-9]*");
  private static final Set<String> FIELDS = Set.of("method", "parameters", "more", "oneway", "upgrade");

  public VarlinkCall {
    Objects.requireNonNull(method, "method");
    if (!METHOD.matcher(method).matches()) {
      throw new IllegalArgumentException(
          "'" + method + "' is not a varlink method name (interface.Method, e.g. io.stockade.Supervisor.Ping)");
    }
    parameters = parameters == null ? VarlinkJson.newObject() : parameters.deepCopy();
    if (more && oneway) {
      throw new IllegalArgumentException("a call cannot be both 'more' and 'oneway'");
    }
  }

  /** A call expecting one reply. */
  public static VarlinkCall of(String method, ObjectNode parameters) {
    return new VarlinkCall(method, parameters, false, false, false);
  }

  /** A call expecting a stream of replies. */
  public static VarlinkCall streaming(String method, ObjectNode parameters) {
    return new VarlinkCall(method, parameters, true, false, false);
  }

  /** The interface part of the method name: {@code io.stockade.Supervisor}. */
  public String interfaceName() {
    return method.substring(0, method.lastIndexOf('.'));
  }

  /** The method part of the name: {@code Ping}. */
  public String methodName() {
    return method.substring(method.lastIndexOf('.') + 1);
  }

  public ObjectNode toJson() {
    ObjectNode node = VarlinkJson.newObject();
    node.put("method", method);
    node.set("parameters", parameters.deepCopy());
    if (more) {
      node.put("more", true);
    }
    if (oneway) {
      node.put("oneway", true);
    }
    if (upgrade) {
      node.put("upgrade", true);
    }
    return node;
  }

  /** Encodes the call as one frame payload (without the NUL). */
  public byte[] toBytes() {
    return VarlinkJson.toBytes(toJson());
  }

  /**
   * Validates and decodes a call message.
   *
   * @throws MalformedMessageException missing or mistyped fields, unknown fields, a bad method name
   */
  public static VarlinkCall fromJson(ObjectNode node) throws MalformedMessageException {
    rejectUnknownFields(node, FIELDS, "call");
    JsonNode method = node.get("method");
    if (method == null || !method.isTextual()) {
      throw new MalformedMessageException("varlink call has no string field 'method'");
    }
    JsonNode parameters = node.get("parameters");
    if (parameters != null && !parameters.isNull() && !parameters.isObject()) {
      throw new MalformedMessageException("varlink call field 'parameters' must be an object");
    }
    try {
      return new VarlinkCall(
          method.asText(),
          parameters == null || parameters.isNull() ? null : (ObjectNode) parameters,
          flag(node, "more"),
          flag(node, "oneway"),
          flag(node, "upgrade"));
    } catch (IllegalArgumentException e) {
      throw new MalformedMessageException("invalid varlink call: " + e.getMessage());
    }
  }

  /** Parses and validates one frame as a call. */
  public static VarlinkCall parse(byte[] frame) throws MalformedMessageException {
    return fromJson(VarlinkJson.parseObject(frame));
  }

  static boolean flag(ObjectNode node, String name) throws MalformedMessageException {
    JsonNode value = node.get(name);
    if (value == null || value.isNull()) {
      return false;
    }
    if (!value.isBoolean()) {
      throw new MalformedMessageException("varlink message field '" + name + "' must be a boolean");
    }
    return value.booleanValue();
  }

  static void rejectUnknownFields(ObjectNode node, Set<String> known, String what)
      throws MalformedMessageException {
    for (Map.Entry<String, JsonNode> field : node.properties()) {
      String name = field.getKey();
      if (!known.contains(name)) {
        throw new MalformedMessageException(
            "varlink " + what + " has unknown field '" + name + "' (allowed: " + known + ")");
      }
    }
  }
}
