package io.stockade.client;

/**
 * The server's reply broke the protocol: it hung up mid-reply or before replying, sent bytes that
 * are not a varlink reply, or a reply that does not fit the method's return record.
 */
public final class ProtocolViolationException extends StockadeException {
  public static final String ERROR_NAME = StockadeException.LocalErrors.PREFIX + "ProtocolViolation";

  public ProtocolViolationException(String method, String problem, Throwable cause) {
    super(ERROR_NAME, params("method", method, "problem", problem), method + ": " + problem, cause);
  }
}
