package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The sandbox kind or the host does not support the operation. */
public final class UnsupportedException extends StockadeException {
  public static final String ERROR_NAME = "io.stockade.Supervisor.Unsupported";

  public UnsupportedException(String reason) {
    this(reason, null);
  }

  public UnsupportedException(String reason, Throwable cause) {
    super(ERROR_NAME, params("reason", reason), "unsupported: " + reason, cause);
  }

  static UnsupportedException fromParameters(ObjectNode p) {
    return new UnsupportedException(text(p, "reason"));
  }

  public String reason() {
    return text(parameters(), "reason");
  }
}
