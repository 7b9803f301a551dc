package io.stockade.client.varlink;

/** The stream ended inside a message: the peer hung up before the NUL terminator. */
public final class TruncatedFrameException extends VarlinkProtocolException {
  private final int bytesRead;

  public TruncatedFrameException(int bytesRead) {
    super(
        "connection closed after "
            + bytesRead
            + " bytes of a varlink message, before its NUL terminator: the peer hung up mid-message");
    this.bytesRead = bytesRead;
  }

  /** How many bytes of the unfinished message arrived. */
  public int bytesRead() {
    return bytesRead;
  }
}
