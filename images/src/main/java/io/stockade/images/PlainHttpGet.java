package io.stockade.images;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lean HTTP/1.1 GET for {@code http://} URLs: one blocking {@link SocketChannel} reads the body
 * straight into the partial file's 1 MiB direct buffers, which the file channel writes and the
 * hasher thread hashes. java.net.http moves every byte through its own buffers and a
 * {@code List<ByteBuffer>} flow across threads, and cost about four times curl's CPU per byte;
 * this path costs curl's work plus SHA-256 (docs/images.md has the figures).
 *
 * <p>It handles the common case only: a 200, or a 206 for a resume, with a Content-Length, and
 * redirects between http URLs. A body without a Content-Length (chunked or ended by close), a URL
 * with user info, a configured proxy or a redirect to https make the caller fetch through
 * java.net.http, which handles those (and refuses https to http redirects). Status and header
 * checks are {@link Transfer#accept}'s, shared with that path.
 */
final class PlainHttpGet {
  private static final Logger log = LoggerFactory.getLogger(PlainHttpGet.class);
  /** Redirects followed before giving up, as java.net.http's default retry limit. */
  static final int MAX_REDIRECTS = 5;

  /** What one request ended with: done (both empty), a redirect, or a case for java.net.http. */
  private record Outcome(URI redirect, boolean useHttpClient) {
    static final Outcome DONE = new Outcome(null, false);
    static final Outcome USE_HTTP_CLIENT = new Outcome(null, true);
  }

  private PlainHttpGet() {}

  /**
   * Fetches {@code url} into {@code sink}; returns null when done, or the URL the caller should
   * fetch through java.net.http instead: {@code url} itself for a response this class does not
   * handle, or the https URL a redirect leads to.
   */
  static URI fetch(URI url, PartialFile sink, String what, DownloadProgress progress, StoreOptions options,
      ScheduledExecutorService watchdog) throws AttemptFailed, StoreWriteFailed, InterruptedException {
    URI at = url;
    for (int hop = 0; ; hop++) {
      if (!at.getScheme().equalsIgnoreCase("http")) {
        return at; // an http -> https redirect; java.net.http refuses https -> http on its own
      }
      if (at.getRawUserInfo() != null || at.getHost() == null || usesProxy(at)) {
        return at;
      }
      Outcome o = fetchOnce(at, sink, what, progress, options, watchdog);
      if (o.redirect() == null) {
        return o.useHttpClient() ? at : null;
      }
      if (hop == MAX_REDIRECTS) {
        throw new AttemptFailed("more than " + MAX_REDIRECTS + " redirects, the last to " + o.redirect(), false);
      }
      log.info("{} redirects to {}", at, o.redirect());
      at = o.redirect();
    }
  }

  private static Outcome fetchOnce(URI url, PartialFile sink, String what, DownloadProgress progress,
      StoreOptions options, ScheduledExecutorService watchdog)
      throws AttemptFailed, StoreWriteFailed, InterruptedException {
    int port = url.getPort() == -1 ? 80 : url.getPort();
    long stallNanos = options.stallTimeout().toNanos();
    AtomicLong lastByte = new AtomicLong(System.nanoTime());
    AtomicBoolean stalled = new AtomicBoolean();
    SocketChannel ch;
    try {
      ch = SocketChannel.open();
    } catch (IOException e) {
      throw new AttemptFailed("cannot open a socket: " + e, true, e);
    }
    try {
      // A blocking channel has no read timeout: the watchdog closes it, and the read fails.
      ScheduledFuture<?> dog = watchdog.scheduleAtFixedRate(() -> {
        if (System.nanoTime() - lastByte.get() > stallNanos && stalled.compareAndSet(false, true)) {
          closeQuietly(ch);
        }
      }, stallNanos / 4, Math.max(stallNanos / 4, 1), TimeUnit.NANOSECONDS);
      try {
        connect(ch, url, port, options);
        lastByte.set(System.nanoTime());
        return exchange(ch, url, port, sink, what, progress, lastByte);
      } catch (IOException e) {
        if (e instanceof ClosedByInterruptException || Thread.currentThread().isInterrupted()) {
          throw new InterruptedException("download of " + what + " interrupted");
        }
        if (stalled.get()) {
          throw new AttemptFailed("no data for " + options.stallTimeout().toMillis() + " ms after "
              + sink.length() + " bytes", true);
        }
        throw new AttemptFailed("connection lost after " + sink.length() + " of " + sink.expectedSize()
            + " bytes: " + e, true, e);
      } finally {
        dog.cancel(false);
      }
    } finally {
      closeQuietly(ch);
    }
  }

  private static void connect(SocketChannel ch, URI url, int port, StoreOptions options) throws AttemptFailed {
    String host = url.getHost();
    try {
      ch.socket().connect(new InetSocketAddress(host, port), (int) Math.max(1, options.connectTimeout().toMillis()));
    } catch (IOException e) {
      throw new AttemptFailed("cannot connect to " + host + ":" + port + ": " + e, true, e);
    }
  }

  private static Outcome exchange(SocketChannel ch, URI url, int port, PartialFile sink, String what,
      DownloadProgress progress, AtomicLong lastByte)
      throws IOException, AttemptFailed, StoreWriteFailed, InterruptedException {
    long offset = sink.length();
    String target = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
        + (url.getRawQuery() != null ? "?" + url.getRawQuery() : "");
    String request = "GET " + target + " HTTP/1.1\r\n"
        + "Host: " + url.getHost() + (url.getPort() != -1 ? ":" + port : "") + "\r\n"
        + "User-Agent: stockade-images\r\n"
        + "Accept-Encoding: identity\r\n"
        + (offset > 0 ? "Range: bytes=" + offset + "-\r\n" : "")
        + "Connection: close\r\n\r\n";
    ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1));
    while (out.hasRemaining()) {
      ch.write(out);
    }
    ByteBuffer buf = sink.buffer();
    ResponseHead head;
    try {
      head = ResponseHead.read(ch, buf, lastByte);
    } catch (IOException | AttemptFailed e) {
      sink.recycle(buf);
      throw e;
    }
    int code = head.code();
    boolean redirect = code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
    boolean noLength = head.header("Transfer-Encoding").isPresent() || head.header("Content-Length").isEmpty();
    if (redirect || ((code == 200 || code == 206) && noLength)) {
      sink.recycle(buf);
      return redirect ? new Outcome(location(url, code, head), false) : Outcome.USE_HTTP_CLIENT;
    }
    try {
      Transfer.accept(code, head::header, offset, sink, url, what);
    } catch (AttemptFailed | StoreWriteFailed e) {
      sink.recycle(buf);
      throw e;
    }
    long length = contentLength(head, sink, buf);
    progress.update(what, sink.length(), sink.expectedSize());
    readBody(ch, buf, length, sink, what, progress, lastByte);
    return Outcome.DONE;
  }

  private static URI location(URI url, int code, ResponseHead head) throws AttemptFailed {
    String location = head.header("Location")
        .orElseThrow(() -> new AttemptFailed("HTTP " + code + " without a Location header", false));
    try {
      URI target = url.resolve(location);
      if (target.getScheme() == null
          || !List.of("http", "https").contains(target.getScheme().toLowerCase(Locale.ROOT))) {
        throw new AttemptFailed("HTTP " + code + " redirects to '" + location + "': only http and https are followed",
            false);
      }
      return target;
    } catch (IllegalArgumentException e) {
      throw new AttemptFailed("HTTP " + code + " redirects to an invalid URL '" + location + "'", false);
    }
  }

  private static long contentLength(ResponseHead head, PartialFile sink, ByteBuffer buf) throws AttemptFailed {
    String value = head.header("Content-Length").orElseThrow().trim();
    long length;
    try {
      length = Long.parseLong(value);
    } catch (NumberFormatException e) {
      length = -1;
    }
    if (length < 0) {
      sink.recycle(buf);
      throw new AttemptFailed("server sent Content-Length '" + value + "'", false);
    }
    if (sink.length() + length > sink.expectedSize()) {
      sink.recycle(buf);
      throw new AttemptFailed("server sends " + length + " bytes after byte " + sink.length()
          + ", more than the catalog's " + sink.expectedSize(), false);
    }
    return length;
  }

  /**
   * Reads {@code length} body bytes, one whole buffer per write: the hasher gets a few large
   * pieces of work, and what arrived before a failure is written, so the next try resumes.
   */
  private static void readBody(SocketChannel ch, ByteBuffer first, long length, PartialFile sink, String what,
      DownloadProgress progress, AtomicLong lastByte)
      throws IOException, AttemptFailed, StoreWriteFailed, InterruptedException {
    ByteBuffer buf = first;
    buf.position((int) Math.min(buf.position(), length)); // bytes past the body are not ours
    long left = length - buf.position();
    while (true) {
      buf.limit((int) Math.max(buf.position(), Math.min(sink.fill(), buf.position() + left)));
      IOException failure = null;
      boolean eof = false;
      try {
        while (buf.hasRemaining()) {
          int n = ch.read(buf);
          if (n < 0) {
            eof = true;
            break;
          }
          left -= n;
          lastByte.set(System.nanoTime());
        }
      } catch (IOException e) {
        failure = e;
      }
      // An interrupt closed the socket; with the flag still set it would close the file channel
      // too, and the bytes that did arrive could not be kept for resuming.
      boolean interrupted = Thread.interrupted();
      buf.flip();
      if (buf.hasRemaining()) {
        sink.write(buf);
        progress.update(what, sink.length(), sink.expectedSize());
      } else {
        sink.recycle(buf);
      }
      if (interrupted) {
        throw new InterruptedException("download of " + what + " interrupted");
      }
      if (failure != null) {
        throw failure;
      }
      if (eof || left == 0) {
        break;
      }
      buf = sink.buffer();
    }
    if (sink.length() < sink.expectedSize()) {
      throw new AttemptFailed("body ended after " + sink.length() + " of " + sink.expectedSize() + " bytes", true);
    }
  }

  private static boolean usesProxy(URI url) {
    ProxySelector selector = ProxySelector.getDefault();
    if (selector == null) {
      return false;
    }
    try {
      return selector.select(url).stream().anyMatch(p -> p.type() != Proxy.Type.DIRECT);
    } catch (IllegalArgumentException e) {
      return true; // let java.net.http decide and report
    }
  }

  private static void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // The watchdog's close makes the read fail, which reports the stall; after a transfer a
      // failing close changes nothing that was received.
    }
  }
}
