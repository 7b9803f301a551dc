package io.stockade.images;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes one blob present: at most one download per digest at a time, across threads (a map of
 * futures: later callers wait for the first) and across processes (an exclusive lock on
 * {@code locks/HEX.lock}, after which the blob is looked for again). Mirrors are tried in order,
 * each up to {@code attemptsPerMirror} times for failures that may pass; every attempt resumes
 * the same partial file, whatever mirror it came from: the digest decides.
 */
final class BlobFetcher {
  private static final Logger log = LoggerFactory.getLogger(BlobFetcher.class);

  private final StoreLayout layout;
  private final Transfer transfer;
  private final StoreOptions options;
  // JVM-wide and keyed by the blob's path: two ImageStore objects on one directory must also
  // share a download, and a JVM may not hold two locks on one lock file.
  private static final ConcurrentHashMap<Path, CompletableFuture<Path>> INFLIGHT = new ConcurrentHashMap<>();

  BlobFetcher(StoreLayout layout, Transfer transfer, StoreOptions options) {
    this.layout = layout;
    this.transfer = transfer;
    this.options = options;
  }

  boolean isFetching(String hex) {
    return INFLIGHT.containsKey(layout.blob(hex));
  }

  Path ensure(String what, ImageFile file, DownloadProgress progress) throws ImageException {
    String hex = file.sha256();
    Path blob = layout.blob(hex);
    if (present(blob, file.size())) {
      return blob;
    }
    CompletableFuture<Path> mine = new CompletableFuture<>();
    CompletableFuture<Path> first = INFLIGHT.putIfAbsent(blob, mine);
    if (first != null) {
      return await(first, what);
    }
    try {
      Path p = fetchLocked(what, file, progress);
      mine.complete(p);
      return p;
    } catch (ImageException | RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      INFLIGHT.remove(blob, mine);
    }
  }

  private static Path await(CompletableFuture<Path> first, String what) throws ImageException {
    try {
      return first.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ImageException("interrupted while waiting for the download of " + what, e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ImageException ie) {
        throw ie;
      }
      throw new ImageException("download of " + what + " failed: " + e.getCause(), e.getCause());
    }
  }

  @SuppressWarnings("try") // the lock is held for the block, never referenced
  private Path fetchLocked(String what, ImageFile file, DownloadProgress progress) throws ImageException {
    String hex = file.sha256();
    Path lockFile = layout.lock(hex);
    try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock ignored = ch.lock()) {
      Path blob = layout.blob(hex);
      if (present(blob, file.size())) {
        log.info("{} ({}) was fetched by another process", what, hex);
        return blob;
      }
      return fetch(what, file, progress);
    } catch (IOException e) {
      throw new StoreWriteFailed("lock", lockFile, e);
    }
  }

  private Path fetch(String what, ImageFile file, DownloadProgress progress) throws ImageException {
    String hex = file.sha256();
    List<String> failures = new ArrayList<>();
    Throwable last = null;
    for (URI url : file.urls()) {
      for (int attempt = 1; attempt <= options.attemptsPerMirror(); attempt++) {
        try {
          attempt(url, what, file, progress);
          return layout.blob(hex);
        } catch (AttemptFailed f) {
          failures.add(url + " (try " + attempt + "): " + f.getMessage());
          last = f.getCause() != null ? f.getCause() : f;
          log.warn("fetching {} from {} failed (try {} of {}): {}", what, url, attempt,
              options.attemptsPerMirror(), f.getMessage());
          if (!f.retryable) {
            break;
          }
          sleep(options.retryDelay().toMillis() * attempt, what);
        }
      }
    }
    throw new DownloadFailed(what, hex, failures, last);
  }

  private void attempt(URI url, String what, ImageFile file, DownloadProgress progress)
      throws AttemptFailed, ImageException {
    String hex = file.sha256();
    long start = System.nanoTime();
    PartialFile sink = PartialFile.open(layout.partial(hex), file.size());
    long resumedAt = sink.length();
    log.info("fetching {} ({} bytes, sha256 {}) from {}{}", what, file.size(), hex, url,
        resumedAt > 0 ? ", resuming at byte " + resumedAt : "");
    try {
      transfer.fetch(url, sink, what, progress);
      long received = System.nanoTime();
      String actual = sink.finish();
      if (!actual.equals(hex)) {
        sink.delete();
        DigestMismatch mismatch = new DigestMismatch(url.toString(), hex, actual, file.size());
        // A resumed file may owe its bad bytes to an earlier source: retry this one from zero.
        throw new AttemptFailed(mismatch.getMessage(), resumedAt > 0, mismatch);
      }
      sink.close();
      layout.install(sink.path(), hex);
      double secs = (System.nanoTime() - start) / 1e9;
      log.info("fetched {} from {}: {} bytes in {} s ({} s receiving, the rest hashing and syncing;"
          + " {} MiB/s), sha256 {} verified", what, url, file.size() - resumedAt,
          String.format("%.2f", secs), String.format("%.2f", (received - start) / 1e9),
          String.format("%.1f", (file.size() - resumedAt) / 1048576.0 / Math.max(secs, 1e-9)), hex);
    } catch (StoreWriteFailed e) {
      // A full disk is no mirror's fault: give the space back and stop.
      sink.delete();
      throw e;
    } catch (InterruptedException e) {
      sink.close();
      Thread.currentThread().interrupt();
      throw new ImageException("download of " + what + " interrupted; " + sink.path() + " is kept for resuming", e);
    } finally {
      sink.close();
    }
  }

  private static boolean present(Path blob, long size) {
    try {
      return Files.isRegularFile(blob) && Files.size(blob) == size;
    } catch (IOException e) {
      return false;
    }
  }

  private static void sleep(long millis, String what) throws ImageException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ImageException("interrupted while retrying the download of " + what, e);
    }
  }
}
