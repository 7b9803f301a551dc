package io.stockade.client.varlink;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * Reads NUL-terminated varlink frames from a stream.
 *
 * <p>Memory is bounded by the frame limit: a frame is accumulated only up to {@code maxFrameBytes}
 * and the reader throws {@link FrameTooLargeException} as soon as that many bytes arrived without
 * a terminator, so a hostile peer cannot make it buffer more. Bytes after a terminator stay in the
 * reader's buffer for the next frame (a peer may pipeline several messages in one write).
 *
 * <p>Not thread-safe: one reader per connection, used by one thread at a time.
 */
public final class FrameReader {
  /** Default limit: large enough for a List of many sandboxes, small enough to refuse abuse. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

  private final InputStream in;
  private final int maxFrameBytes;
  private final byte[] buffer = new byte[16 * 1024];
  private int position;
  private int limit;
  private boolean failed;

  private FrameReader(InputStream in, int maxFrameBytes) {
    this.in = Objects.requireNonNull(in, "in");
    if (maxFrameBytes < 2) {
      throw new IllegalArgumentException("maxFrameBytes must be at least 2, got " + maxFrameBytes);
    }
    this.maxFrameBytes = maxFrameBytes;
  }

  public static FrameReader of(InputStream in) {
    return new FrameReader(in, DEFAULT_MAX_FRAME_BYTES);
  }

  public static FrameReader of(InputStream in, int maxFrameBytes) {
    return new FrameReader(in, maxFrameBytes);
  }

  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  /**
   * The next frame without its terminator, or {@code null} when the stream ended cleanly between
   * frames.
   *
   * @throws FrameTooLargeException the frame passed the limit (the stream is then unusable)
   * @throws TruncatedFrameException the stream ended inside a frame
   */
  public byte[] readFrame() throws IOException {
    if (failed) {
      throw new VarlinkProtocolException("frame reader is out of step after an earlier error");
    }
    byte[] frame = null;
    int frameLength = 0;
    while (true) {
      if (position == limit && !fill()) {
        if (frameLength == 0) {
          return null;
        }
        failed = true;
        throw new TruncatedFrameException(frameLength);
      }
      int end = indexOfNul(position, limit);
      int chunkEnd = end < 0 ? limit : end;
      int chunk = chunkEnd - position;
      if (frameLength + chunk > maxFrameBytes) {
        failed = true;
        throw new FrameTooLargeException(maxFrameBytes);
      }
      if (frame == null) {
        frame = new byte[Math.max(chunk, Math.min(buffer.length, maxFrameBytes))];
      } else if (frame.length < frameLength + chunk) {
        frame = Arrays.copyOf(frame, Math.min(maxFrameBytes, Math.max(frame.length * 2, frameLength + chunk)));
      }
      System.arraycopy(buffer, position, frame, frameLength, chunk);
      frameLength += chunk;
      position = chunkEnd;
      if (end >= 0) {
        position++; // consume the NUL
        return Arrays.copyOf(frame, frameLength);
      }
    }
  }

  private boolean fill() throws IOException {
    int n = in.read(buffer, 0, buffer.length);
    if (n < 0) {
      return false;
    }
    position = 0;
    limit = n;
    return true;
  }

  private int indexOfNul(int from, int to) {
    for (int i = from; i < to; i++) {
      if (buffer[i] == 0) {
        return i;
      }
    }
    return -1;
  }
}
