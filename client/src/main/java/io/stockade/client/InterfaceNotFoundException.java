package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The server does not implement the interface. */
public final class InterfaceNotFoundException extends StockadeException {
  public static final String ERROR_NAME = "org.varlink.service.InterfaceNotFound";

  public InterfaceNotFoundException(String interfaceName) {
    this(interfaceName, null);
  }

  public InterfaceNotFoundException(String interfaceName, Throwable cause) {
    super(ERROR_NAME, params("interface", interfaceName), "the server does not implement interface " + interfaceName + ": is this socket a Stockade supervisor?", cause);
  }

  static InterfaceNotFoundException fromParameters(ObjectNode p) {
    return new InterfaceNotFoundException(text(p, "interface"));
  }

  public String interfaceName() {
    return text(parameters(), "interface");
  }
}
