package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The interface defines the method but this server does not implement it. */
public final class MethodNotImplementedException extends StockadeException {
  public static final String ERROR_NAME = "org.varlink.service.MethodNotImplemented";

  public MethodNotImplementedException(String method) {
    this(method, null);
  }

  public MethodNotImplementedException(String method, Throwable cause) {
    super(ERROR_NAME, params("method", method), "the server does not implement method " + method, cause);
  }

  static MethodNotImplementedException fromParameters(ObjectNode p) {
    return new MethodNotImplementedException(text(p, "method"));
  }

  public String method() {
    return text(parameters(), "method");
  }
}
