package io.stockade.images;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Streams an HTTP body into a {@link PartialFile}. It asks for the whole body at once: the JDK's
 * InputStream subscriber asks for one buffer at a time, and waking the client's selector for
 * every buffer cost two thirds of the download rate here. Flow control remains: delivery is
 * sequential, and a full write or a busy hasher blocks the delivering thread. Bytes are gathered
 * into the partial file's 1 MiB buffers, so what arrived before a failure is kept for resuming.
 */
final class BodyWriter implements HttpResponse.BodySubscriber<Long> {
  /** Why the body did not arrive whole; set once. */
  private volatile Exception failure;
  private final CompletableFuture<Long> done = new CompletableFuture<>();
  private final PartialFile sink;
  private final String what;
  private final DownloadProgress progress;
  private final Runnable onBytes;
  private volatile Flow.Subscription subscription;
  private ByteBuffer buf;
  private boolean closed; // guarded by this: once set, no callback touches the sink again

  BodyWriter(PartialFile sink, String what, DownloadProgress progress, Runnable onBytes) {
    this.sink = sink;
    this.what = what;
    this.progress = progress;
    this.onBytes = onBytes;
  }

  @Override
  public CompletionStage<Long> getBody() {
    return done;
  }

  /** The reason the transfer stopped early (a store or size error), or null. */
  Exception failure() {
    return failure;
  }

  /** Stops the transfer from outside (stall watchdog); keeps what was written. */
  void abort(Exception why) {
    fail(why);
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (done.isDone()) {
      s.cancel();
    } else {
      s.request(Long.MAX_VALUE);
    }
  }

  /**
   * Waits for a callback in progress to finish and ignores all later ones: after this the
   * caller owns the partial file again (the client may still deliver after a cancel).
   */
  synchronized void close() {
    closed = true;
  }

  @Override
  public synchronized void onNext(List<ByteBuffer> items) {
    if (closed || done.isDone()) {
      return;
    }
    try {
      for (ByteBuffer b : items) {
        while (b.hasRemaining()) {
          if (buf == null) {
            buf = sink.buffer();
          }
          int n = Math.min(b.remaining(), buf.remaining());
          int limit = b.limit();
          buf.put(b.limit(b.position() + n));
          b.limit(limit);
          if (!buf.hasRemaining()) {
            flush();
          }
        }
      }
      onBytes.run();
    } catch (StoreWriteFailed | AttemptFailed e) {
      fail(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail(e);
    }
  }

  @Override
  public synchronized void onError(Throwable t) {
    if (closed) {
      return;
    }
    keepWhatArrived();
    done.completeExceptionally(t);
  }

  @Override
  public synchronized void onComplete() {
    if (closed) {
      return;
    }
    keepWhatArrived();
    if (failure == null) {
      done.complete(sink.length());
    }
  }

  private void keepWhatArrived() {
    if (failure != null) {
      return;
    }
    try {
      flush();
    } catch (StoreWriteFailed | AttemptFailed e) {
      fail(e);
    }
  }

  private void flush() throws StoreWriteFailed, AttemptFailed {
    if (buf == null || buf.position() == 0) {
      return;
    }
    ByteBuffer b = buf.flip();
    buf = null;
    if (sink.length() + b.remaining() > sink.expectedSize()) {
      sink.recycle(b);
      sink.truncate();
      throw new AttemptFailed("source sends more than the catalog's " + sink.expectedSize() + " bytes", false);
    }
    sink.write(b);
    progress.update(what, sink.length(), sink.expectedSize());
  }

  private void fail(Exception e) {
    synchronized (done) {
      if (failure == null) {
        failure = e;
      }
    }
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
    done.completeExceptionally(e);
  }
}
