package io.stockade.supervisor.config;

/** The configuration is wrong; the message names the file (or variable) and the key. */
public final class ConfigException extends Exception {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
