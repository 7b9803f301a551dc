package io.stockade.client;

import java.time.Duration;

/** No (complete) reply arrived within the call's timeout; the connection was closed. */
public final class CallTimeoutException extends StockadeException {
  public static final String ERROR_NAME = StockadeException.LocalErrors.PREFIX + "CallTimeout";

  private final Duration timeout;

  public CallTimeoutException(String method, Duration timeout) {
    super(
        ERROR_NAME,
        params("method", method, "timeout", timeout.toString()),
        method + ": no reply within " + timeout.toMillis() + " ms (the supervisor is busy or stuck; retry with a longer --timeout)",
        null);
    this.timeout = timeout;
  }

  public Duration timeout() {
    return timeout;
  }
}
