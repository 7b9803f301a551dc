package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The server could not read the message as a varlink call (bad JSON, wrong field types). */
public final class InvalidRequestException extends StockadeException {
  public static final String ERROR_NAME = "io.stockade.Supervisor.InvalidRequest";

  public InvalidRequestException(String reason) {
    this(reason, null);
  }

  public InvalidRequestException(String reason, Throwable cause) {
    super(ERROR_NAME, params("reason", reason), "invalid request: " + reason, cause);
  }

  static InvalidRequestException fromParameters(ObjectNode p) {
    return new InvalidRequestException(text(p, "reason"));
  }

  public String reason() {
    return text(parameters(), "reason");
  }
}
