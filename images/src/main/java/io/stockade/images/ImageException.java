package io.stockade.images;

/** An image could not be resolved, downloaded, verified or installed; the message says why. */
public class ImageException extends Exception {
  public ImageException(String message) {
    super(message);
  }

  public ImageException(String message, Throwable cause) {
    super(message, cause);
  }
}
