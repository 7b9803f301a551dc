package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The caller's sandbox, vCPU or memory quota would be exceeded. */
public final class QuotaExceededException extends StockadeException {
  public static final String ERROR_NAME = "io.stockade.Supervisor.QuotaExceeded";

  public QuotaExceededException(String reason) {
    this(reason, null);
  }

  public QuotaExceededException(String reason, Throwable cause) {
    super(ERROR_NAME, params("reason", reason), "quota exceeded: " + reason + " (destroy sandboxes you no longer need, or ask the operator for a larger quota)", cause);
  }

  static QuotaExceededException fromParameters(ObjectNode p) {
    return new QuotaExceededException(text(p, "reason"));
  }

  public String reason() {
    return text(parameters(), "reason");
  }
}
