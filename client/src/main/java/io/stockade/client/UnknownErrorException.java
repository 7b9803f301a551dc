package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The server sent an error this client does not know (a newer server may add errors within one
 * protocol version). The name and parameters are kept as sent.
 */
public final class UnknownErrorException extends StockadeException {
  public UnknownErrorException(String errorName, ObjectNode parameters) {
    super(errorName, parameters, "server error " + errorName + " " + parameters, null);
  }
}
