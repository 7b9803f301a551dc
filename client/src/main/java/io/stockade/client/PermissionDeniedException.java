package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The caller may not do this (not root, or not the sandbox's owner). */
public final class PermissionDeniedException extends StockadeException {
  public static final String ERROR_NAME = "io.stockade.Supervisor.PermissionDenied";

  public PermissionDeniedException(String reason) {
    this(reason, null);
  }

  public PermissionDeniedException(String reason, Throwable cause) {
    super(ERROR_NAME, params("reason", reason), "permission denied: " + reason, cause);
  }

  static PermissionDeniedException fromParameters(ObjectNode p) {
    return new PermissionDeniedException(text(p, "reason"));
  }

  public String reason() {
    return text(parameters(), "reason");
  }
}
