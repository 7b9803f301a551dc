package io.stockade.client.varlink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A varlink reply: {@code {"parameters": {...}, "continues": true}} or, for a failure, {@code
 * {"error": "iface.ErrorName", "parameters": {...}}}.
 *
 * @param parameters the return values, or the error's parameters (an empty object when none)
 * @param continues more replies to the same call follow (only for calls made with {@code more})
 * @param error the fully qualified error name, or null for a successful reply
 */
public record VarlinkReply(ObjectNode parameters, boolean continues, String error) {
  private static final Pattern ERROR =
      Pattern.compile("[A-Za-z](?:-*[A-Za-z0-9])*(?:\\.[A-Za-z0-9](?:-*[A-Za-z0-9])*)+\\.[A-Z][A-Za-z0-9]*");
  private static final Set<String> FIELDS = Set.of("parameters", "continues", "error");

  public VarlinkReply {
    parameters = parameters == null ? VarlinkJson.newObject() : parameters.deepCopy();
    if (error != null) {
      if (!ERROR.matcher(error).matches()) {
        throw new IllegalArgumentException(
            "'" + error + "' is not a varlink error name (interface.ErrorName)");
      }
      if (continues) {
        // The spec ends a stream with the error; an error that "continues" would be ambiguous.
        throw new IllegalArgumentException("an error reply cannot have 'continues'");
      }
    }
  }

  /** The final (or only) successful reply. */
  public static VarlinkReply of(ObjectNode parameters) {
    return new VarlinkReply(parameters, false, null);
  }

  /** A successful reply with more to follow. */
  public static VarlinkReply continuing(ObjectNode parameters) {
    return new VarlinkReply(parameters, true, null);
  }

  public static VarlinkReply error(String error, ObjectNode parameters) {
    return new VarlinkReply(parameters, false, Objects.requireNonNull(error, "error"));
  }

  public boolean isError() {
    return error != null;
  }

  public Optional<String> errorName() {
    return Optional.ofNullable(error);
  }

  public ObjectNode toJson() {
    ObjectNode node = VarlinkJson.newObject();
    if (error != null) {
      node.put("error", error);
    }
    node.set("parameters", parameters.deepCopy());
    if (continues) {
      node.put("continues", true);
    }
    return node;
  }

  /** Encodes the reply as one frame payload (without the NUL). */
  public byte[] toBytes() {
    return VarlinkJson.toBytes(toJson());
  }

  /** Validates and decodes a reply message. */
  public static VarlinkReply fromJson(ObjectNode node) throws MalformedMessageException {
    VarlinkCall.rejectUnknownFields(node, FIELDS, "reply");
    JsonNode parameters = node.get("parameters");
    if (parameters != null && !parameters.isNull() && !parameters.isObject()) {
      throw new MalformedMessageException("varlink reply field 'parameters' must be an object");
    }
    JsonNode error = node.get("error");
    if (error != null && !error.isNull() && !error.isTextual()) {
      throw new MalformedMessageException("varlink reply field 'error' must be a string");
    }
    try {
      return new VarlinkReply(
          parameters == null || parameters.isNull() ? null : (ObjectNode) parameters,
          VarlinkCall.flag(node, "continues"),
          error == null || error.isNull() ? null : error.asText());
    } catch (IllegalArgumentException e) {
      throw new MalformedMessageException("invalid varlink reply: " + e.getMessage());
    }
  }

  /** Parses and validates one frame as a reply. */
  public static VarlinkReply parse(byte[] frame) throws MalformedMessageException {
    return fromJson(VarlinkJson.parseObject(frame));
  }
}
