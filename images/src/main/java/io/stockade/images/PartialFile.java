package io.stockade.images;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The {@code incoming/HEX.partial} file of one download: bytes are hashed as they are appended,
 * and a resumed download first hashes what is already there, so the digest always covers the
 * whole file. Write errors are store errors (a full disk), never a mirror's fault.
 *
 * <p>Hashing runs on a thread of its own, fed the caller's buffers in order: SHA-256 costs about
 * as much CPU as receiving the bytes, so doing both on one thread halves the download rate.
 * Callers take buffers with {@link #buffer()} and hand them back through {@link #write} (or
 * {@link #recycle}); a small pool bounds the memory and makes a slow hasher slow the reader.
 * The buffers are direct: a socket or file channel reads into them and the file channel writes
 * from them without the JDK's extra copy through a temporary direct buffer.
 */
final class PartialFile implements AutoCloseable {
  static final int BUFFER_SIZE = 1 << 20;
  private static final int BUFFERS = 8;

  private final Path path;
  private final long expectedSize;
  private final ArrayBlockingQueue<ByteBuffer> pool = new ArrayBlockingQueue<>(BUFFERS);
  private int buffersMade;
  private ExecutorService hasher;
  private FileChannel channel;
  private DirectWrites direct;
  private MessageDigest digest;
  private long length;

  private PartialFile(Path path, long expectedSize) {
    this.path = path;
    this.expectedSize = expectedSize;
  }

  /** Opens (or creates) the partial file, keeping a prefix no longer than the expected size. */
  static PartialFile open(Path path, long expectedSize) throws StoreWriteFailed {
    PartialFile p = new PartialFile(path, expectedSize);
    try {
      p.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      p.digest = sha256();
      long have = p.channel.size();
      if (have > expectedSize) {
        p.truncate();
      } else {
        try (InputStream in = Files.newInputStream(path)) {
          byte[] buf = new byte[1 << 20];
          long left = have;
          int n;
          while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
            p.digest.update(buf, 0, n);
            left -= n;
          }
        }
        p.length = have;
      }
    } catch (IOException e) {
      p.close();
      throw new StoreWriteFailed("open partial download", path, e);
    }
    return p;
  }

  long length() {
    return length;
  }

  long expectedSize() {
    return expectedSize;
  }

  Path path() {
    return path;
  }

  /**
   * An empty buffer to read into, its limit at {@link #fill()}; give it back through
   * {@link #write} or {@link #recycle}.
   */
  ByteBuffer buffer() throws InterruptedException {
    ByteBuffer b = pool.poll();
    if (b == null && buffersMade < BUFFERS) {
      buffersMade++;
      b = direct().allocate(BUFFER_SIZE);
    } else if (b == null) {
      b = pool.take();
    }
    return b.clear().limit(fill());
  }

  /**
   * How many bytes the next buffer should hold: a whole buffer, except after a resume at an
   * unaligned length, where one shorter buffer brings the file back to the alignment that lets
   * every later whole buffer be a direct write.
   */
  int fill() {
    return BUFFER_SIZE - (int) (length % direct().alignment());
  }

  void recycle(ByteBuffer buf) {
    pool.offer(buf);
  }

  /** Forgets what was received (a server ignored Range or sent another range). */
  void truncate() throws StoreWriteFailed {
    drainHasher();
    try {
      channel.truncate(0);
    } catch (IOException e) {
      throw new StoreWriteFailed("truncate", path, e);
    }
    digest.reset();
    length = 0;
  }

  /**
   * Appends the buffer's remaining bytes and hashes them on the hasher thread, which then
   * recycles the buffer.
   */
  void write(ByteBuffer buf) throws StoreWriteFailed {
    int n = buf.remaining();
    ByteBuffer toHash = buf.duplicate();
    try {
      if (!direct().write(buf, length)) {
        for (long at = length; buf.hasRemaining(); ) {
          at += channel.write(buf, at);
        }
      }
    } catch (IOException e) {
      recycle(buf);
      throw new StoreWriteFailed("write", path, e);
    }
    length += n;
    if (hasher == null) {
      hasher = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "stockade-images-sha256");
        t.setDaemon(true);
        return t;
      });
    }
    hasher.execute(() -> {
      digest.update(toHash);
      pool.offer(buf);
    });
  }

  private void drainHasher() {
    if (hasher == null) {
      return;
    }
    try {
      hasher.submit(() -> {}).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while hashing " + path, e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("hashing " + path + " failed", e.getCause());
    }
  }

  /** Syncs the file and returns the hex SHA-256 of everything in it. */
  String finish() throws StoreWriteFailed {
    drainHasher();
    try {
      channel.force(true);
    } catch (IOException e) {
      throw new StoreWriteFailed("sync", path, e);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  void delete() {
    close();
    StoreLayout.deleteQuietly(path);
  }

  private DirectWrites direct() {
    if (direct == null) {
      direct = DirectWrites.open(path, BUFFER_SIZE);
    }
    return direct;
  }

  @Override
  public void close() {
    if (direct != null) {
      direct.close();
    }
    if (hasher != null) {
      hasher.shutdownNow();
    }
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // The data was synced by finish(); a failing close changes nothing we rely on.
      }
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
