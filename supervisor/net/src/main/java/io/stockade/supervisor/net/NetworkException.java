package io.stockade.supervisor.net;

/**
 * A sandbox's network could not be built, verified or changed. The message names the step (the
 * command or check), what it acted on, and what the operator can do.
 */
public class NetworkException extends Exception {
  private final String step;

  public NetworkException(String step, String message) {
    super(message);
    this.step = step;
  }

  public NetworkException(String step, String message, Throwable cause) {
    super(message, cause);
    this.step = step;
  }

  public String step() {
    return step;
  }
}
