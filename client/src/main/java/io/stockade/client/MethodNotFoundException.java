package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The server does not know the method (it may speak an older protocol version). */
public final class MethodNotFoundException extends StockadeException {
  public static final String ERROR_NAME = "org.varlink.service.MethodNotFound";

  public MethodNotFoundException(String method) {
    this(method, null);
  }

  public MethodNotFoundException(String method, Throwable cause) {
    super(ERROR_NAME, params("method", method), "the server does not know method " + method + " (it may speak an older protocol: compare 'stockade ping')", cause);
  }

  static MethodNotFoundException fromParameters(ObjectNode p) {
    return new MethodNotFoundException(text(p, "method"));
  }

  public String method() {
    return text(parameters(), "method");
  }
}
