package io.stockade.client;

import java.nio.file.Path;

/** The client could not connect to the supervisor's socket. Never sent by a server. */
public final class ConnectionFailedException extends StockadeException {
  public static final String ERROR_NAME = LocalErrors.PREFIX + "ConnectionFailed";

  private final Path socket;

  public ConnectionFailedException(Path socket, String remedy, Throwable cause) {
    super(
        ERROR_NAME,
        params("socket", socket.toString()),
        "cannot connect to " + socket + (cause == null || cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")") + ": " + remedy,
        cause);
    this.socket = socket;
  }

  public Path socket() {
    return socket;
  }
}
