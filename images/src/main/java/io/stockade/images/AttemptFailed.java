package io.stockade.images;

/** One try at one URL failed; {@code retryable} says whether trying that URL again may help. */
final class AttemptFailed extends Exception {
  final boolean retryable;

  AttemptFailed(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  AttemptFailed(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }
}
