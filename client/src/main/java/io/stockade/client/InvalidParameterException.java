package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** A parameter was missing, mistyped, unknown or out of range. */
public final class InvalidParameterException extends StockadeException {
  public static final String ERROR_NAME = "org.varlink.service.InvalidParameter";

  public InvalidParameterException(String parameter) {
    this(parameter, null);
  }

  public InvalidParameterException(String parameter, Throwable cause) {
    super(ERROR_NAME, params("parameter", parameter), "invalid parameter '" + parameter + "'", cause);
  }

  static InvalidParameterException fromParameters(ObjectNode p) {
    return new InvalidParameterException(text(p, "parameter"));
  }

  public String parameter() {
    return text(parameters(), "parameter");
  }
}
