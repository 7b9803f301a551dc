package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.client.varlink.MalformedMessageException;

/**
 * A parameter was missing, mistyped, unknown or out of range: the standard {@code
 * org.varlink.service.InvalidParameter}. Stockade adds a {@code reason} field to the standard
 * {@code parameter} (varlink clients ignore fields they do not know), because "spec.vcpus" alone
 * does not tell a user what is wrong with it.
 */
public final class InvalidParameterException extends StockadeException {
  public static final String ERROR_NAME = "org.varlink.service.InvalidParameter";

  public InvalidParameterException(String parameter) {
    this(parameter, null, null);
  }

  public InvalidParameterException(String parameter, String reason, Throwable cause) {
    super(
        ERROR_NAME,
        params("parameter", parameter, "reason", reason),
        "invalid parameter '" + parameter + "'" + (reason == null || reason.isEmpty() ? "" : ": " + reason),
        cause);
  }

  /**
   * The error for parameters the codec refused: names the field when the codec knows it, else
   * {@code parameters} as a whole.
   */
  public static InvalidParameterException of(MalformedMessageException e) {
    return new InvalidParameterException(e.parameter().orElse("parameters"), e.getMessage(), e);
  }

  static InvalidParameterException fromParameters(ObjectNode p) {
    String reason = text(p, "reason");
    return new InvalidParameterException(text(p, "parameter"), reason.isEmpty() ? null : reason, null);
  }

  public String parameter() {
    return text(parameters(), "parameter");
  }

  /** Why, when the server said (a Stockade extension); empty otherwise. */
  public String reason() {
    return text(parameters(), "reason");
  }
}
