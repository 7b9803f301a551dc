package io.stockade.client.varlink;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.StdScalarSerializer;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * The JSON rules of the protocol, in one place.
 *
 * <p>Parsing is strict: a frame must be exactly one UTF-8 JSON object (no trailing data, no
 * duplicate keys, no comments, nesting at most {@value #MAX_DEPTH} deep). Decoding into records is
 * strict too ({@link #decode}): unknown fields, a string where a number belongs and numbers for
 * enums are refused. {@link #decodeLenient} only ignores unknown fields: clients use it for replies
 * so that a newer server may add reply fields within one protocol version. Timestamps are RFC 3339
 * strings ({@link Instant#toString()}); absent (null) fields are omitted when writing.
 */
public final class VarlinkJson {
  static final int MAX_DEPTH = 64;

  private static final ObjectMapper STRICT = build(true);
  private static final ObjectMapper LENIENT = build(false);

  private VarlinkJson() {}

  private static ObjectMapper build(boolean failOnUnknown) {
    SimpleModule instants = new SimpleModule("stockade-instants");
    instants.addSerializer(Instant.class, new InstantSerializer());
    instants.addDeserializer(Instant.class, new InstantDeserializer());
    JsonMapper mapper =
        JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, failOnUnknown)
            // varlink's "?int" lets a client send null for an optional number: null means default.
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .defaultPropertyInclusion(
                JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
            .addModule(instants)
            .build();
    mapper.getFactory()
        .setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build());
    // A string "1" is not a number and "" is not an absent list: refuse the coercions.
    mapper.coercionConfigDefaults()
        .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
    // ... and 5, true or 1.5 are not strings.
    mapper.coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.String, CoercionAction.TryConvert)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    mapper.coercionConfigFor(LogicalType.Enum)
        .setCoercion(CoercionInputShape.String, CoercionAction.TryConvert);
    mapper.coercionConfigFor(LogicalType.DateTime)
        .setCoercion(CoercionInputShape.String, CoercionAction.TryConvert);
    mapper.coercionConfigFor(LogicalType.OtherScalar)
        .setCoercion(CoercionInputShape.String, CoercionAction.TryConvert);
    return mapper;
  }

  /** An empty object, for building parameters by hand. */
  public static ObjectNode newObject() {
    return JsonNodeFactory.instance.objectNode();
  }

  /**
   * Parses one frame as exactly one JSON object.
   *
   * @throws MalformedMessageException invalid UTF-8, invalid JSON, not an object, trailing data,
   *     duplicate keys or nesting too deep
   */
  public static ObjectNode parseObject(byte[] frame) throws MalformedMessageException {
    try {
      // Jackson would decode invalid UTF-8 leniently in places; the wire format says UTF-8.
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(frame));
    } catch (CharacterCodingException e) {
      throw new MalformedMessageException("varlink message is not valid UTF-8", null, e);
    }
    JsonNode node;
    try {
      node = STRICT.readTree(frame);
    } catch (IOException e) {
      throw new MalformedMessageException(
          "varlink message is not valid JSON: " + firstLine(e), null, e);
    }
    if (node == null || node.isMissingNode()) {
      throw new MalformedMessageException("varlink message is empty: expected a JSON object");
    }
    if (!node.isObject()) {
      throw new MalformedMessageException(
          "varlink message is a JSON " + node.getNodeType().name().toLowerCase() + ", expected an object");
    }
    return (ObjectNode) node;
  }

  /** Serialises a JSON tree to UTF-8 bytes (never containing NUL: JSON escapes it). */
  public static byte[] toBytes(JsonNode node) {
    try {
      return STRICT.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree failed to serialise", e);
    }
  }

  /** A record (or any bean) as a JSON object, null fields omitted. */
  public static ObjectNode encode(Object value) {
    JsonNode node = STRICT.valueToTree(value);
    if (!node.isObject()) {
      throw new IllegalArgumentException(value.getClass().getName() + " does not encode to an object");
    }
    return (ObjectNode) node;
  }

  /**
   * Decodes an object into a record, refusing unknown fields and wrong types.
   *
   * @throws MalformedMessageException with {@link MalformedMessageException#parameter()} set to the
   *     offending field's path
   */
  public static <T> T decode(JsonNode node, Class<T> type) throws MalformedMessageException {
    return decode(STRICT, node, type);
  }

  /** Like {@link #decode} but ignores fields the record does not know (for replies). */
  public static <T> T decodeLenient(JsonNode node, Class<T> type) throws MalformedMessageException {
    return decode(LENIENT, node, type);
  }

  private static <T> T decode(ObjectMapper mapper, JsonNode node, Class<T> type)
      throws MalformedMessageException {
    try {
      return mapper.treeToValue(node == null ? newObject() : node, type);
    } catch (JsonMappingException e) {
      String path = path(e);
      throw new MalformedMessageException(
          (path.isEmpty() ? "invalid parameters" : "invalid parameter '" + path + "'")
              + " for "
              + type.getSimpleName()
              + ": "
              + reason(e),
          path.isEmpty() ? null : path,
          e);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new MalformedMessageException(
          "invalid parameters for " + type.getSimpleName() + ": " + firstLine(e), null, e);
    }
  }

  private static String path(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static String reason(JsonMappingException e) {
    // A record constructor's own message (IllegalArgumentException) is the useful one.
    Throwable cause = e.getCause();
    if (cause instanceof IllegalArgumentException || cause instanceof NullPointerException) {
      return cause.getMessage();
    }
    return firstLine(e);
  }

  private static String firstLine(Exception e) {
    String message = e instanceof JsonProcessingException
        ? ((JsonProcessingException) e).getOriginalMessage()
        : e.getMessage();
    if (message == null) {
      return e.getClass().getSimpleName();
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  private static final class InstantSerializer extends StdScalarSerializer<Instant> {
    InstantSerializer() {
      super(Instant.class);
    }

    @Override
    public void serialize(Instant value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      gen.writeString(value.toString());
    }
  }

  private static final class InstantDeserializer extends StdScalarDeserializer<Instant> {
    InstantDeserializer() {
      super(Instant.class);
    }

    @Override
    public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (!p.hasToken(com.fasterxml.jackson.core.JsonToken.VALUE_STRING)) {
        return (Instant) ctxt.handleUnexpectedToken(Instant.class, p);
      }
      String text = p.getText();
      try {
        return Instant.parse(text);
      } catch (DateTimeParseException e) {
        return (Instant)
            ctxt.handleWeirdStringValue(Instant.class, text, "expected an RFC 3339 UTC timestamp");
      }
    }
  }
}
