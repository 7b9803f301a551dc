package io.stockade.client.varlink;

import java.io.IOException;

/**
 * The peer broke the varlink wire format. The connection is out of step afterwards and must be
 * closed; the subclasses say which rule was broken.
 */
public class VarlinkProtocolException extends IOException {
  public VarlinkProtocolException(String message) {
    super(message);
  }

  public VarlinkProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
