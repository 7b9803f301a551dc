package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The sandbox is in a state that does not allow the operation wanted. */
public final class InvalidStateException extends StockadeException {
  public static final String ERROR_NAME = "io.stockade.Supervisor.InvalidState";

  /**
   * @param id the sandbox
   * @param current its state now
   * @param wanted the operation (or target state) the caller asked for: "start", "pause", ...
   */
  public InvalidStateException(String id, SandboxState current, String wanted) {
    super(
        ERROR_NAME,
        params("id", id, "current", current.wireName(), "wanted", wanted),
        "sandbox '" + id + "' is " + current.wireName() + ": cannot " + wanted + " it in that state",
        null);
  }

  static InvalidStateException fromParameters(ObjectNode p) {
    SandboxState current;
    try {
      current = SandboxState.fromWireName(text(p, "current"));
    } catch (IllegalArgumentException e) {
      // A newer server may know states this client does not: report it as failed rather than lose the error.
      current = SandboxState.FAILED;
    }
    return new InvalidStateException(text(p, "id"), current, text(p, "wanted"));
  }

  public String id() {
    return text(parameters(), "id");
  }

  public SandboxState current() {
    return SandboxState.fromWireName(text(parameters(), "current"));
  }

  public String wanted() {
    return text(parameters(), "wanted");
  }
}
