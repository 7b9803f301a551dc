package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The supervisor failed in a way the caller cannot fix; its log has the details. */
public final class InternalException extends StockadeException {
  public static final String ERROR_NAME = "io.stockade.Supervisor.Internal";

  public InternalException(String reason) {
    this(reason, null);
  }

  public InternalException(String reason, Throwable cause) {
    super(ERROR_NAME, params("reason", reason), "supervisor internal error: " + reason + " (the operator finds details in the supervisor's log)", cause);
  }

  static InternalException fromParameters(ObjectNode p) {
    return new InternalException(text(p, "reason"));
  }

  public String reason() {
    return text(parameters(), "reason");
  }
}
