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

/**
 * The {@code incoming/HEX.partial} file of one download: bytes are hashed as they are appended,
 * and a resumed download first hashes what is already there, so the digest always covers the
 * whole file. Write errors are store errors (a full disk), never a mirror's fault.
 */
final class PartialFile implements AutoCloseable {
  private final Path path;
  private final long expectedSize;
  private FileChannel channel;
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
        p.channel.position(have);
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

  /** Forgets what was received (a server ignored Range or sent another range). */
  void truncate() throws StoreWriteFailed {
    try {
      channel.truncate(0);
      channel.position(0);
    } catch (IOException e) {
      throw new StoreWriteFailed("truncate", path, e);
    }
    digest.reset();
    length = 0;
  }

  void write(byte[] buf, int off, int n) throws StoreWriteFailed {
    digest.update(buf, off, n);
    ByteBuffer bb = ByteBuffer.wrap(buf, off, n);
    try {
      while (bb.hasRemaining()) {
        channel.write(bb);
      }
    } catch (IOException e) {
      throw new StoreWriteFailed("write", path, e);
    }
    length += n;
  }

  /** Syncs the file and returns the hex SHA-256 of everything in it. */
  String finish() throws StoreWriteFailed {
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

  @Override
  public void close() {
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
