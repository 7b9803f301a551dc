package io.stockade.images;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes whole aligned buffers of a partial file with O_DIRECT, straight from the buffer to the
 * device. A buffered write costs a copy into the page cache, and the final fsync then writes a
 * whole image's dirty pages at once: that copy was most of the store's CPU beside SHA-256, and
 * curl pays it too, so skipping it is what lets hashing fit into curl's budget (docs/images.md).
 *
 * <p>Only a write whose file position, length and buffer address are multiples of the
 * filesystem's block size goes direct; the rest (a resumed file's unaligned end, the file's
 * last piece) goes through the page cache, and the kernel keeps the two coherent. Where the
 * filesystem refuses O_DIRECT (tmpfs, some network filesystems) or a direct write fails, every
 * later write is buffered: a real write error (a full disk) then repeats there and is reported.
 */
final class DirectWrites implements AutoCloseable {
  private final int align;
  private FileChannel channel;

  private DirectWrites(int align, FileChannel channel) {
    this.align = align;
    this.channel = channel;
  }

  /** Opens {@code file} for direct writes, or returns an object that declines every write. */
  static DirectWrites open(Path file, int bufferSize) {
    try {
      long bs = Files.getFileStore(file).getBlockSize();
      if (bs <= 0 || bs > bufferSize || Long.bitCount(bs) != 1) {
        return new DirectWrites(1, null);
      }
      return new DirectWrites((int) bs, FileChannel.open(file, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT));
    } catch (IOException | UnsupportedOperationException e) {
      return new DirectWrites(1, null); // no O_DIRECT here: buffered writes only
    }
  }

  /** The alignment a resumed file's length is cut to, so that later whole buffers stay aligned. */
  int alignment() {
    return channel == null ? 1 : align;
  }

  /** A direct buffer of {@code size} bytes whose address suits direct writes. */
  ByteBuffer allocate(int size) {
    return ByteBuffer.allocateDirect(size + align).alignedSlice(align).slice(0, size);
  }

  /** Writes all of {@code buf} at {@code position} and returns true, or returns false untouched. */
  boolean write(ByteBuffer buf, long position) {
    if (channel == null || position % align != 0 || buf.remaining() % align != 0
        || buf.alignmentOffset(buf.position(), align) != 0) {
      return false;
    }
    int start = buf.position();
    try {
      long at = position;
      while (buf.hasRemaining()) {
        at += channel.write(buf, at);
      }
      return true;
    } catch (IOException e) {
      // EINVAL from a filesystem that takes the open but not the write, or a short write that
      // left the rest unaligned, or a real error: the buffered path repeats it and reports.
      close();
      buf.position(start);
      return false;
    }
  }

  @Override
  public void close() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // Direct writes bypass the channel's buffers; the buffered channel's fsync covers them.
      }
      channel = null;
    }
  }
}
