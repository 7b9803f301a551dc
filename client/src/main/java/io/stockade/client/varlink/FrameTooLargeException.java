package io.stockade.client.varlink;

/** A message grew past the reader's limit before its NUL terminator arrived. */
public final class FrameTooLargeException extends VarlinkProtocolException {
  private final int limit;

  public FrameTooLargeException(int limit) {
    super(
        "varlink message exceeds "
            + limit
            + " bytes without a NUL terminator: the peer sent an oversized or unterminated"
            + " message; the connection is closed");
    this.limit = limit;
  }

  /** The frame size limit in bytes that was exceeded. */
  public int limit() {
    return limit;
  }
}
