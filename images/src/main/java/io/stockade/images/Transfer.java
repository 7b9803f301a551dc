package io.stockade.images;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt to fill a {@link PartialFile} from one URL. HTTP(S) resumes with a Range request
 * when the partial file holds a prefix; a server that ignores Range (200) or answers 416 makes
 * the attempt start over. A stall watchdog closes the body when no byte arrives in time, since
 * java.net.http has no read timeout for a streamed body.
 */
final class Transfer {
  private static final Logger log = LoggerFactory.getLogger(Transfer.class);
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
  private static final int BUFFER = 1 << 20;

  private final HttpClient http;
  private final StoreOptions options;
  private final ScheduledExecutorService watchdog;

  Transfer(HttpClient http, StoreOptions options, ScheduledExecutorService watchdog) {
    this.http = http;
    this.options = options;
    this.watchdog = watchdog;
  }

  void fetch(URI url, PartialFile sink, String what, DownloadProgress progress)
      throws AttemptFailed, StoreWriteFailed, InterruptedException {
    switch (url.getScheme().toLowerCase(java.util.Locale.ROOT)) {
      case "http", "https" -> fetchHttp(url, sink, what, progress);
      case "file" -> fetchFile(url, sink, what, progress);
      default -> throw new AttemptFailed(
          "URL scheme '" + url.getScheme() + "' is not supported: use http, https or file", false);
    }
  }

  private void fetchFile(URI url, PartialFile sink, String what, DownloadProgress progress)
      throws AttemptFailed, StoreWriteFailed, InterruptedException {
    Path file;
    try {
      file = Path.of(url);
    } catch (IllegalArgumentException e) {
      throw new AttemptFailed("not a local file URL: " + e.getMessage(), false);
    }
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      throw new AttemptFailed("cannot read " + file + ": " + e, false);
    }
    if (size != sink.expectedSize()) {
      throw new AttemptFailed(file + " has " + size + " bytes, the catalog says " + sink.expectedSize(), false);
    }
    sink.truncate(); // a local copy is cheap to redo; resuming it would only add cases
    try (InputStream in = Files.newInputStream(file)) {
      copy(in, sink, what, progress, new AtomicBoolean());
    } catch (IOException e) {
      throw new AttemptFailed("reading " + file + " failed: " + e.getMessage(), true, e);
    }
  }

  private void fetchHttp(URI url, PartialFile sink, String what, DownloadProgress progress)
      throws AttemptFailed, StoreWriteFailed, InterruptedException {
    long offset = sink.length();
    HttpRequest.Builder rb = HttpRequest.newBuilder(url).GET().timeout(options.stallTimeout())
        .header("User-Agent", "stockade-images");
    if (offset > 0) {
      rb.header("Range", "bytes=" + offset + "-");
    }
    HttpResponse<InputStream> response;
    try {
      response = http.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new AttemptFailed("request failed: " + e, true, e);
    }
    try (InputStream in = response.body()) {
      int code = response.statusCode();
      if (code == 206 && offset > 0) {
        checkContentRange(response, offset, sink.expectedSize());
        log.info("resuming {} from {} at byte {}", what, url, offset);
      } else if (code == 200) {
        if (offset > 0) {
          log.info("{} ignored the Range request; fetching {} from the start", url, what);
          sink.truncate();
        }
        OptionalLong len = response.headers().firstValueAsLong("Content-Length");
        if (len.isPresent() && len.getAsLong() != sink.expectedSize()) {
          throw new AttemptFailed("server sends " + len.getAsLong() + " bytes, the catalog says "
              + sink.expectedSize() + " (another file?)", false);
        }
      } else if (code == 416) {
        sink.truncate();
        throw new AttemptFailed("HTTP 416 for a Range request; the next try starts over", true);
      } else {
        throw new AttemptFailed("HTTP " + code, code >= 500 || code == 408 || code == 429);
      }
      AtomicBoolean stalled = new AtomicBoolean();
      AtomicLong lastByte = new AtomicLong(System.nanoTime());
      long stallNanos = options.stallTimeout().toNanos();
      ScheduledFuture<?> dog = watchdog.scheduleAtFixedRate(() -> {
        if (System.nanoTime() - lastByte.get() > stallNanos && stalled.compareAndSet(false, true)) {
          closeQuietly(in);
        }
      }, stallNanos / 4, Math.max(stallNanos / 4, 1), TimeUnit.NANOSECONDS);
      try {
        copyWatched(in, sink, what, progress, stalled, lastByte);
      } catch (IOException e) {
        throw new AttemptFailed(stalled.get()
            ? "no data for " + options.stallTimeout().toMillis() + " ms after " + sink.length() + " bytes"
            : "connection lost after " + sink.length() + " of " + sink.expectedSize() + " bytes: " + e.getMessage(),
            true, e);
      } finally {
        dog.cancel(false);
      }
    } catch (IOException e) {
      throw new AttemptFailed("closing the response failed: " + e, true, e);
    }
  }

  private static void checkContentRange(HttpResponse<?> r, long offset, long size) throws AttemptFailed {
    String cr = r.headers().firstValue("Content-Range").orElse("");
    Matcher m = CONTENT_RANGE.matcher(cr);
    if (!m.matches() || Long.parseLong(m.group(1)) != offset
        || (!m.group(3).equals("*") && Long.parseLong(m.group(3)) != size)) {
      throw new AttemptFailed("server answered Range bytes=" + offset + "- with Content-Range '" + cr + "'", true);
    }
  }

  private void copy(InputStream in, PartialFile sink, String what, DownloadProgress progress,
      AtomicBoolean stalled) throws IOException, AttemptFailed, StoreWriteFailed, InterruptedException {
    copyWatched(in, sink, what, progress, stalled, new AtomicLong());
  }

  private void copyWatched(InputStream in, PartialFile sink, String what, DownloadProgress progress,
      AtomicBoolean stalled, AtomicLong lastByte)
      throws IOException, AttemptFailed, StoreWriteFailed, InterruptedException {
    byte[] buf = new byte[BUFFER];
    long size = sink.expectedSize();
    progress.update(what, sink.length(), size);
    int n;
    while ((n = in.read(buf)) > 0) {
      lastByte.set(System.nanoTime());
      if (sink.length() + n > size) {
        sink.truncate();
        throw new AttemptFailed("source sends more than the catalog's " + size + " bytes", false);
      }
      sink.write(buf, 0, n);
      progress.update(what, sink.length(), size);
      if (Thread.interrupted()) {
        throw new InterruptedException("download of " + what + " interrupted");
      }
    }
    if (stalled.get()) {
      throw new IOException("stalled");
    }
    if (sink.length() < size) {
      throw new AttemptFailed("body ended after " + sink.length() + " of " + size + " bytes", true);
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException e) {
      // Closing is how the watchdog aborts a stalled read; the reader reports the stall.
    }
  }
}
