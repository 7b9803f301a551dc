package io.stockade.supervisor.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;

/**
 * One connection's varlink framing: NUL-terminated JSON messages in both directions. Reading is
 * bounded by the frame limit (a frame that passes it is never buffered whole) and by the socket's
 * read timeout. Bytes after a terminator stay buffered for the next frame, so pipelined calls work.
 */
final class FrameChannel {
  /** A frame passed the size limit; the stream is out of step and must be closed. */
  static final class FrameTooLarge extends IOException {
    FrameTooLarge(int limit) {
      super("frame larger than " + limit + " bytes");
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final int maxFrame;
  private final byte[] buf = new byte[16 * 1024];
  private int pos;
  private int lim;
  private boolean eof;

  FrameChannel(Socket socket, int maxFrame) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.maxFrame = maxFrame;
  }

  /** The next frame without its NUL, or null at a clean end of stream. */
  byte[] read() throws IOException {
    byte[] frame = new byte[256];
    int len = 0;
    while (true) {
      if (pos == lim) {
        if (eof || !fill()) {
          if (len == 0) {
            return null;
          }
          throw new IOException("connection closed inside a frame after " + len + " bytes");
        }
      }
      int i = pos;
      while (i < lim && buf[i] != 0) {
        i++;
      }
      int chunk = i - pos;
      if (len + chunk > maxFrame) {
        throw new FrameTooLarge(maxFrame);
      }
      if (frame.length < len + chunk) {
        frame = Arrays.copyOf(frame, Math.min(maxFrame, Math.max(frame.length * 2, len + chunk)));
      }
      System.arraycopy(buf, pos, frame, len, chunk);
      len += chunk;
      pos = i;
      if (i < lim) {
        pos++; // the NUL
        return Arrays.copyOf(frame, len);
      }
    }
  }

  private boolean fill() throws IOException {
    int n = in.read(buf, 0, buf.length);
    if (n < 0) {
      eof = true;
      return false;
    }
    pos = 0;
    lim = n;
    return true;
  }

  synchronized void write(byte[] json) throws IOException {
    byte[] framed = Arrays.copyOf(json, json.length + 1);
    out.write(framed);
    out.flush();
  }

  /**
   * Whether the peer hung up, without blocking: used while streaming, when we are not reading.
   * Data the peer sent meanwhile stays buffered for the next {@link #read()}.
   */
  boolean peerClosed() {
    if (eof) {
      return true;
    }
    if (pos < lim || socket.isClosed()) {
      return socket.isClosed();
    }
    int old = 0;
    try {
      old = socket.getSoTimeout();
      socket.setSoTimeout(1);
      int n = in.read(buf, 0, buf.length);
      if (n < 0) {
        eof = true;
        return true;
      }
      pos = 0;
      lim = n;
      return false;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    } finally {
      try {
        socket.setSoTimeout(old);
      } catch (IOException e) {
        // the socket is gone; the next read or write reports it
      }
    }
  }
}
