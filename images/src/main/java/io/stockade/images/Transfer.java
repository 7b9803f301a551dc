package io.stockade.images;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt to fill a {@link PartialFile} from one URL. HTTP(S) resumes with a Range request
 * when the partial file holds a prefix; a server that ignores Range (200) or answers 416 makes
 * the attempt start over. A stall watchdog aborts the body when no byte arrives in time, since
 * java.net.http has no read timeout for a streamed body.
 */
final class Transfer {
  private static final Logger log = LoggerFactory.getLogger(Transfer.class);
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

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
      case "http" -> {
        URI rest = PlainHttpGet.fetch(url, sink, what, progress, options, watchdog);
        if (rest != null) {
          fetchHttp(rest, sink, what, progress);
        }
      }
      case "https" -> fetchHttp(url, sink, what, progress);
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
    try (FileChannel in = FileChannel.open(file)) {
      copy(in, sink, what, progress);
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
    AtomicReference<Exception> refused = new AtomicReference<>();
    AtomicLong lastByte = new AtomicLong(System.nanoTime());
    AtomicBoolean stalled = new AtomicBoolean();
    BodyWriter writer = new BodyWriter(sink, what, progress, () -> lastByte.set(System.nanoTime()));
    HttpResponse.BodyHandler<Long> handler = info -> {
      try {
        accept(info.statusCode(), h -> info.headers().firstValue(h), offset, sink, url, what);
        return writer;
      } catch (AttemptFailed | StoreWriteFailed e) {
        refused.set(e);
        return HttpResponse.BodySubscribers.replacing(0L);
      }
    };
    progress.update(what, offset, sink.expectedSize());
    CompletableFuture<HttpResponse<Long>> call = http.sendAsync(rb.build(), handler);
    long stallNanos = options.stallTimeout().toNanos();
    ScheduledFuture<?> dog = watchdog.scheduleAtFixedRate(() -> {
      if (System.nanoTime() - lastByte.get() > stallNanos && stalled.compareAndSet(false, true)) {
        writer.abort(new IOException("stalled"));
        call.cancel(true);
      }
    }, stallNanos / 4, Math.max(stallNanos / 4, 1), TimeUnit.NANOSECONDS);
    Throwable lost = null;
    try {
      call.get();
    } catch (ExecutionException e) {
      lost = e.getCause();
    } catch (CancellationException e) {
      lost = e;
    } catch (InterruptedException e) {
      call.cancel(true);
      throw e;
    } finally {
      dog.cancel(false);
      writer.close();
    }
    rethrow(refused.get());
    rethrow(writer.failure() instanceof IOException ? null : writer.failure());
    if (stalled.get()) {
      throw new AttemptFailed("no data for " + options.stallTimeout().toMillis() + " ms after "
          + sink.length() + " bytes", true);
    }
    if (lost != null) {
      throw new AttemptFailed("connection lost after " + sink.length() + " of " + sink.expectedSize()
          + " bytes: " + lost, true, lost);
    }
    if (sink.length() < sink.expectedSize()) {
      throw new AttemptFailed("body ended after " + sink.length() + " of " + sink.expectedSize() + " bytes", true);
    }
  }

  private static void rethrow(Exception e) throws AttemptFailed, StoreWriteFailed, InterruptedException {
    if (e instanceof AttemptFailed a) {
      throw a;
    } else if (e instanceof StoreWriteFailed s) {
      throw s;
    } else if (e instanceof InterruptedException i) {
      throw i;
    }
  }

  /** Decides from the status and headers whether the body continues, restarts or is refused. */
  static void accept(int code, Function<String, Optional<String>> header, long offset, PartialFile sink, URI url,
      String what) throws AttemptFailed, StoreWriteFailed {
    if (code == 206 && offset > 0) {
      try {
        checkContentRange(header.apply("Content-Range").orElse(""), offset, sink.expectedSize());
      } catch (AttemptFailed f) {
        sink.truncate(); // the server cannot resume this file: the next try starts over
        throw f;
      }
      log.info("resuming {} from {} at byte {}", what, url, offset);
    } else if (code == 200) {
      if (offset > 0) {
        log.info("{} ignored the Range request; fetching {} from the start", url, what);
        sink.truncate();
      }
      Optional<String> len = header.apply("Content-Length");
      if (len.isPresent() && !len.get().trim().equals(Long.toString(sink.expectedSize()))) {
        throw new AttemptFailed("server sends " + len.get().trim() + " bytes, the catalog says "
            + sink.expectedSize() + " (another file?)", false);
      }
    } else if (code == 416) {
      sink.truncate();
      throw new AttemptFailed("HTTP 416 for a Range request; the next try starts over", true);
    } else {
      throw new AttemptFailed("HTTP " + code, code >= 500 || code == 408 || code == 429);
    }
  }

  private static void checkContentRange(String cr, long offset, long size) throws AttemptFailed {
    Matcher m = CONTENT_RANGE.matcher(cr);
    if (!m.matches() || Long.parseLong(m.group(1)) != offset
        || (!m.group(3).equals("*") && Long.parseLong(m.group(3)) != size)) {
      throw new AttemptFailed("server answered Range bytes=" + offset + "- with Content-Range '" + cr + "'", true);
    }
  }

  private static void copy(FileChannel in, PartialFile sink, String what, DownloadProgress progress)
      throws IOException, AttemptFailed, StoreWriteFailed, InterruptedException {
    long size = sink.expectedSize();
    progress.update(what, sink.length(), size);
    boolean eof = false;
    while (!eof) {
      // Whole buffers: the hasher gets a few large pieces of work rather than many small ones.
      ByteBuffer buf = sink.buffer();
      IOException failure = null;
      try {
        while (buf.hasRemaining()) {
          if (in.read(buf) < 0) {
            eof = true;
            break;
          }
        }
      } catch (IOException e) {
        failure = e;
      }
      buf.flip();
      if (!buf.hasRemaining()) {
        sink.recycle(buf);
      } else if (sink.length() + buf.remaining() > size) {
        sink.recycle(buf);
        sink.truncate();
        throw new AttemptFailed("source sends more than the catalog's " + size + " bytes", false);
      } else {
        sink.write(buf);
        progress.update(what, sink.length(), size);
      }
      if (failure != null) {
        throw failure;
      }
      if (Thread.interrupted()) {
        throw new InterruptedException("download of " + what + " interrupted");
      }
    }
    if (sink.length() < size) {
      throw new AttemptFailed("body ended after " + sink.length() + " of " + size + " bytes", true);
    }
  }
}
