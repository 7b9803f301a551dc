package io.stockade.supervisor.lifecycle;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows every running sandbox's console file into its {@link ConsoleBuffer}. One polling
 * thread for all sandboxes (the files are written by jailed processes we cannot hook into, and
 * inotify is not reachable from the JDK without a native library); 100 ms latency is fine for a
 * console.
 */
final class ConsoleTailer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleTailer.class);
  /** A reattached console resumes from this many bytes before the end, not from its start. */
  static final long RESUME_BYTES = 64 * 1024;

  private static final int READ_CHUNK = 256 * 1024;

  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "console-tailer");
            t.setDaemon(true);
            return t;
          });
  private final Map<String, Tail> tails = new ConcurrentHashMap<>();

  ConsoleTailer() {
    timer.scheduleWithFixedDelay(this::pollAll, 100, 100, TimeUnit.MILLISECONDS);
  }

  /** Starts following {@code file}; {@code resume} skips to near its end (reattach). */
  void follow(String sandboxId, Path file, ConsoleBuffer buffer, boolean resume) {
    long offset = 0;
    if (resume) {
      long size = file.toFile().length();
      offset = Math.max(0, size - RESUME_BYTES);
    }
    buffer.reopen();
    Tail old = tails.put(sandboxId, new Tail(file, buffer, offset));
    if (old != null) {
      old.buffer.close();
    }
  }

  /** Reads what is left of the file, then closes the buffer: the workload has exited. */
  void finish(String sandboxId) {
    Tail t = tails.remove(sandboxId);
    if (t != null) {
      synchronized (t) {
        t.poll();
        t.flushPartial();
      }
      t.buffer.close();
    }
  }

  private void pollAll() {
    for (Tail t : tails.values()) {
      synchronized (t) {
        t.poll();
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  private static final class Tail {
    final Path file;
    final ConsoleBuffer buffer;
    long offset;
    final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    boolean warned;

    Tail(Path file, ConsoleBuffer buffer, long offset) {
      this.file = file;
      this.buffer = buffer;
      this.offset = offset;
    }

    void poll() {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        if (ch.size() < offset) {
          offset = 0; // truncated or replaced: start over
        }
        ByteBuffer buf = ByteBuffer.allocate(READ_CHUNK);
        int n;
        while ((n = ch.read(buf, offset)) > 0) {
          offset += n;
          buf.flip();
          while (buf.hasRemaining()) {
            byte b = buf.get();
            if (b == '\n') {
              flushPartial();
            } else {
              partial.write(b);
              if (partial.size() >= ConsoleBuffer.MAX_LINE_CHARS) {
                flushPartial();
              }
            }
          }
          buf.clear();
        }
      } catch (IOException e) {
        if (!warned) {
          warned = true; // the file may not exist yet; say so once, keep trying
          LOG.debug("console {} not readable yet: {}", file, e.toString());
        }
      }
    }

    void flushPartial() {
      if (partial.size() > 0) {
        String line = partial.toString(StandardCharsets.UTF_8);
        buffer.addLine(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
        partial.reset();
      }
    }
  }
}
