package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Start or Restore failed at a named step; the console tail shows what the guest said. */
public final class LaunchFailedException extends StockadeException {
  public static final String ERROR_NAME = "io.stockade.Supervisor.LaunchFailed";

  public LaunchFailedException(String id, String step, String reason, String consoleTail) {
    this(id, step, reason, consoleTail, null);
  }

  public LaunchFailedException(String id, String step, String reason, String consoleTail, Throwable cause) {
    super(ERROR_NAME, params("id", id, "step", step, "reason", reason, "consoleTail", consoleTail), "sandbox '" + id + "' failed to launch at step " + step + ": " + reason + (consoleTail == null || consoleTail.isEmpty() ? "" : "\nconsole tail:\n" + consoleTail), cause);
  }

  static LaunchFailedException fromParameters(ObjectNode p) {
    return new LaunchFailedException(text(p, "id"), text(p, "step"), text(p, "reason"), text(p, "consoleTail"));
  }

  public String id() {
    return text(parameters(), "id");
  }

  public String step() {
    return text(parameters(), "step");
  }

  public String reason() {
    return text(parameters(), "reason");
  }

  public String consoleTail() {
    return text(parameters(), "consoleTail");
  }
}
