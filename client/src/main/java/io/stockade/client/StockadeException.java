package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.client.varlink.VarlinkJson;
import io.stockade.client.varlink.VarlinkReply;
import java.util.Objects;

/**
 * A call failed. Each error the server can send has its own subclass named after it; failures on
 * the client's side of the socket (cannot connect, timeout, broken reply) have their own too, with
 * names under {@code io.stockade.client.} that never appear on the wire.
 *
 * <p>Servers throw the remote kinds and answer with {@link #toReply()}, so both sides use one
 * vocabulary.
 */
public abstract class StockadeException extends Exception {
  private final String errorName;
  private final ObjectNode parameters;

  protected StockadeException(String errorName, ObjectNode parameters, String message, Throwable cause) {
    super(message, cause);
    this.errorName = Objects.requireNonNull(errorName, "errorName");
    this.parameters = parameters == null ? VarlinkJson.newObject() : parameters.deepCopy();
  }

  /** The varlink error name, {@code io.stockade.Supervisor.NotFound}. */
  public String errorName() {
    return errorName;
  }

  /** The error's parameters as sent on the wire (a copy). */
  public ObjectNode parameters() {
    return parameters.deepCopy();
  }

  /** True when the server sent this error; false for client-side failures. */
  public boolean isRemote() {
    return !errorName.startsWith(LocalErrors.PREFIX);
  }

  /** The error as a varlink reply, for servers. */
  public VarlinkReply toReply() {
    return VarlinkReply.error(errorName, parameters);
  }

  static ObjectNode params(String... keyValues) {
    ObjectNode node = VarlinkJson.newObject();
    for (int i = 0; i < keyValues.length; i += 2) {
      if (keyValues[i + 1] != null) {
        node.put(keyValues[i], keyValues[i + 1]);
      }
    }
    return node;
  }

  static String text(ObjectNode params, String key) {
    return params.hasNonNull(key) ? params.get(key).asText() : "";
  }

  /** Names of the client-side failures; never sent by a server. */
  static final class LocalErrors {
    static final String PREFIX = "io.stockade.client.";

    private LocalErrors() {}
  }
}
