package io.stockade.client;

/** The calling thread was interrupted while it waited for the supervisor; the flag stays set. */
public final class CallInterruptedException extends StockadeException {
  public static final String ERROR_NAME = StockadeException.LocalErrors.PREFIX + "CallInterrupted";

  public CallInterruptedException(String method, Throwable cause) {
    super(ERROR_NAME, params("method", method), method + ": interrupted while waiting for the supervisor", cause);
  }
}
