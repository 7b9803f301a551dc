package io.stockade.client.varlink;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

/**
 * Writes NUL-terminated varlink frames. Each frame goes out in one {@code write} call followed by a
 * flush, so frames from one writer never interleave. Callers that share a writer between threads
 * synchronise on it (the writer itself does, per frame).
 */
public final class FrameWriter {
  private final OutputStream out;

  private FrameWriter(OutputStream out) {
    this.out = Objects.requireNonNull(out, "out");
  }

  public static FrameWriter of(OutputStream out) {
    return new FrameWriter(out);
  }

  /** Writes one frame; the payload must not contain a NUL byte (JSON text never does). */
  public synchronized void writeFrame(byte[] payload) throws IOException {
    byte[] framed = new byte[payload.length + 1];
    for (int i = 0; i < payload.length; i++) {
      if (payload[i] == 0) {
        throw new IllegalArgumentException("frame payload contains a NUL byte at offset " + i);
      }
      framed[i] = payload[i];
    }
    framed[payload.length] = 0;
    out.write(framed);
    out.flush();
  }
}
