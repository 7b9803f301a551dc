package io.stockade.policy.seccomp;

/** A seccomp profile could not be read or is not valid; the message names the file and the field. */
public final class SeccompProfileException extends RuntimeException {
  public SeccompProfileException(String message) {
    super(message);
  }

  public SeccompProfileException(String message, Throwable cause) {
    super(message, cause);
  }
}
