package io.stockade.client;

import io.stockade.client.varlink.FrameReader;
import io.stockade.client.varlink.FrameWriter;
import io.stockade.client.varlink.VarlinkCall;
import io.stockade.client.varlink.VarlinkReply;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * One varlink connection over the JDK's own Unix sockets. The channel is non-blocking and every
 * read and write waits in a selector with the call's deadline: a blocking Unix {@link
 * SocketChannel} has no read timeout, and a stuck server must not hang the caller.
 *
 * <p>Used by one thread at a time, except {@link #close()}, which any thread may call to abort a
 * read in progress (a stream's consumer closing it from another thread).
 */
final class Connection implements Closeable {
  /** No deadline: streams wait for the server as long as it takes. */
  static final long NO_DEADLINE = Long.MAX_VALUE;

  private final SocketChannel channel;
  private final Selector selector;
  private final FrameReader reader;
  private final FrameWriter writer;
  private volatile long deadlineNanos = NO_DEADLINE;
  private volatile boolean closed;

  private Connection(SocketChannel channel, Selector selector, int maxFrameBytes) throws IOException {
    this.channel = channel;
    this.selector = selector;
    channel.configureBlocking(false);
    this.reader = FrameReader.of(new DeadlineInput(), maxFrameBytes);
    this.writer = FrameWriter.of(new DeadlineOutput());
  }

  /**
   * Connects to {@code socket}. Connecting a Unix socket never waits for the peer beyond the
   * kernel's accept backlog, so this is a plain blocking connect.
   */
  static Connection open(Path socket, int maxFrameBytes) throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    Selector selector = null;
    try {
      channel.connect(UnixDomainSocketAddress.of(socket));
      selector = Selector.open();
      return new Connection(channel, selector, maxFrameBytes);
    } catch (IOException | RuntimeException e) {
      channel.close();
      if (selector != null) {
        selector.close();
      }
      throw e;
    }
  }

  void send(VarlinkCall call, long deadline) throws IOException {
    deadlineNanos = deadline;
    writer.writeFrame(call.toBytes());
  }

  /** The next reply, or null when the server closed the connection between replies. */
  VarlinkReply receive(long deadline) throws IOException {
    deadlineNanos = deadline;
    byte[] frame = reader.readFrame();
    return frame == null ? null : VarlinkReply.parse(frame);
  }

  boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
    // Wake a reader blocked in select() so it notices the close at once.
    selector.wakeup();
    try {
      channel.close();
    } catch (IOException e) {
      // Closing a Unix socket cannot lose data we care about; nothing to report.
    }
    try {
      selector.close();
    } catch (IOException e) {
      // As above.
    }
  }

  private void await(int op) throws IOException {
    if (closed) {
      throw new java.nio.channels.ClosedChannelException();
    }
    long remaining = deadlineNanos == NO_DEADLINE ? 0 : deadlineNanos - System.nanoTime();
    if (deadlineNanos != NO_DEADLINE && remaining <= 0) {
      throw new SocketTimeoutException("deadline passed");
    }
    try {
      SelectionKey key = channel.register(selector, op);
      try {
        long millis = deadlineNanos == NO_DEADLINE ? 0 : Math.max(1, remaining / 1_000_000);
        selector.select(millis);
        selector.selectedKeys().clear();
      } finally {
        key.interestOps(0);
      }
    } catch (java.nio.channels.ClosedSelectorException | java.nio.channels.CancelledKeyException e) {
      // close() from another thread raced with this wait: report it as the closed channel it is.
      throw new java.nio.channels.ClosedChannelException();
    }
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedIOException("interrupted while waiting for the supervisor");
    }
  }

  private final class DeadlineInput extends InputStream {
    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      ByteBuffer buf = ByteBuffer.wrap(b, off, len);
      while (true) {
        int n = channel.read(buf);
        if (n != 0) {
          return n;
        }
        await(SelectionKey.OP_READ);
      }
    }
  }

  private final class DeadlineOutput extends OutputStream {
    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      ByteBuffer buf = ByteBuffer.wrap(b, off, len);
      while (buf.hasRemaining()) {
        if (channel.write(buf) == 0) {
          await(SelectionKey.OP_WRITE);
        }
      }
    }
  }
}
