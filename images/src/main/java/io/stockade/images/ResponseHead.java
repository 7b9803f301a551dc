package io.stockade.images;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** The status and headers of an HTTP/1.x response, as {@link PlainHttpGet} reads them. */
record ResponseHead(int code, Map<String, String> headers) {
  /** Longest response head accepted; real servers send well under 8 KiB. */
  static final int MAX_HEAD = 64 * 1024;

  /** The first value of a header, by case-insensitive name. */
  Optional<String> header(String name) {
    return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
  }

  /**
   * Reads until the end of the head and leaves {@code buf} holding the body bytes that came
   * with it, positioned after them, ready for more.
   */
  static ResponseHead read(SocketChannel ch, ByteBuffer buf, AtomicLong lastByte)
      throws IOException, AttemptFailed {
    int end;
    int scanned = 0;
    while ((end = headEnd(buf, scanned)) < 0) {
      scanned = buf.position(); // a head arriving byte by byte is scanned once, not once per byte
      if (buf.position() >= MAX_HEAD) {
        throw new AttemptFailed("response head longer than " + MAX_HEAD + " bytes", false);
      }
      if (ch.read(buf) < 0) {
        throw new IOException("connection closed before the end of the response head (" + buf.position()
            + " bytes)");
      }
      lastByte.set(System.nanoTime());
    }
    byte[] raw = new byte[end];
    buf.flip().get(raw);
    buf.compact();
    List<String> lines = new String(raw, StandardCharsets.ISO_8859_1).lines().toList();
    String[] status = lines.get(0).split(" ", 3);
    if (status.length < 2 || !status[0].startsWith("HTTP/1.") || !status[1].matches("\\d{3}")) {
      throw new AttemptFailed("not an HTTP/1.x response: '" + lines.get(0) + "'", false);
    }
    Map<String, String> headers = new HashMap<>();
    for (String line : lines.subList(1, lines.size())) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        headers.putIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
      }
    }
    return new ResponseHead(Integer.parseInt(status[1]), headers);
  }

  /** The length of the head including its blank line, or -1 if it has not all arrived. */
  private static int headEnd(ByteBuffer buf, int from) {
    for (int i = Math.max(3, from); i < buf.position(); i++) {
      if (buf.get(i) == '\n' && buf.get(i - 1) == '\r' && buf.get(i - 2) == '\n' && buf.get(i - 3) == '\r') {
        return i + 1;
      }
    }
    return -1;
  }
}
