package io.stockade.supervisor.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * UDP floods and a TCP stream between a test's namespaces, with real sockets: a socket keeps the namespace it was
 * created in, so each is opened on a thread that briefly joins that namespace and then used from
 * any thread.
 */
final class Flood {
  private Flood() {}

  /** What one side saw: datagrams and their payload bytes. */
  record Count(long packets, long bytes) {}

  interface Open<T> {
    T open() throws IOException;
  }

  static <T> T in(String netns, Open<T> open) throws NetworkException {
    return InNamespace.run(Optional.of(Path.of("/run/netns", netns)), "test socket", () -> {
      try {
        return open.open();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /** A UDP socket bound in {@code netns}. */
  static DatagramChannel bind(String netns, String addr, int port) throws NetworkException {
    return udp(netns, c -> c.bind(new InetSocketAddress(addr, port)));
  }

  /** A UDP socket in {@code netns} connected to addr:port. */
  static DatagramChannel connect(String netns, String addr, int port) throws NetworkException {
    return udp(netns, c -> c.connect(new InetSocketAddress(addr, port)));
  }

  private interface Setup {
    void apply(DatagramChannel c) throws IOException;
  }

  /** A UDP socket made in {@code netns} (it stays there), with a large receive buffer, then set up. */
  private static DatagramChannel udp(String netns, Setup setup) throws NetworkException {
    return in(netns, () -> {
      DatagramChannel c = DatagramChannel.open();
      c.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
      setup.apply(c);
      return c;
    });
  }

  /** Sends datagrams of {@code size} bytes to the connected peer as fast as it can. */
  static long send(DatagramChannel c, int size, Duration d) throws IOException {
    return sendTo(c, null, size, d);
  }

  /** Sends datagrams of {@code size} bytes to {@code to} (null: the connected peer). */
  static long sendTo(DatagramChannel c, SocketAddress to, int size, Duration d) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(size);
    long sent = 0;
    long end = System.nanoTime() + d.toNanos();
    while (System.nanoTime() < end) {
      for (int i = 0; i < 64; i++) {
        b.clear();
        if (to == null) {
          c.write(b);
        } else {
          c.send(b, to);
        }
        sent++;
      }
    }
    return sent;
  }

  /**
   * A TCP download: a server on port 80 in {@code serverNs} streams to {@code guest} for
   * {@code seconds}; returns bytes received in total and in the last second (the steady rate,
   * after a rate limit's bucket has drained).
   */
  static long[] tcpDownload(String serverNs, String server, String guest, int seconds)
      throws Exception {
    try (var listener = in(serverNs, () -> java.nio.channels.ServerSocketChannel.open()
        .bind(new java.net.InetSocketAddress(server, 80)))) {
      Thread writer = new Thread(() -> {
        try (var conn = listener.accept()) {
          java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(65536);
          while (true) {
            b.clear();
            conn.write(b);
          }
        } catch (java.io.IOException e) {
          // the guest closed: done
        }
      }, "tcp-writer");
      writer.setDaemon(true);
      writer.start();
      try (var client = in(guest, () -> java.nio.channels.SocketChannel.open(
          new java.net.InetSocketAddress(server, 80)))) {
        client.configureBlocking(false);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1 << 20);
        long total = 0;
        long beforeLast = 0;
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        boolean marked = false;
        for (long now = start; now < end; now = System.nanoTime()) {
          if (!marked && now > end - 1_000_000_000L) {
            beforeLast = total;
            marked = true;
          }
          b.clear();
          int n = client.read(b);
          if (n < 0) {
            break;
          }
          total += n;
          if (n == 0) {
            Thread.sleep(1);
          }
        }
        System.out.printf("TCP download for %d s: %d bytes, %d in the last second%n", seconds,
            total, total - beforeLast);
        return new long[] {total, total - beforeLast};
      } finally {
        writer.interrupt();
      }
    }
  }

  /** Counts what arrives on {@code c} until {@link Receiver#stop}. */
  static final class Receiver {
    private final DatagramChannel c;
    private final AtomicLong packets = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final Thread thread;
    private volatile SocketAddress firstSender;

    Receiver(DatagramChannel c) {
      this.c = c;
      this.thread = new Thread(this::run, "flood-receiver");
      thread.setDaemon(true);
      thread.start();
    }

    private void run() {
      ByteBuffer b = ByteBuffer.allocate(65536);
      try {
        while (true) {
          b.clear();
          SocketAddress from = c.receive(b);
          if (firstSender == null) {
            firstSender = from;
          }
          packets.incrementAndGet();
          bytes.addAndGet(b.position());
        }
      } catch (ClosedChannelException e) {
        // stopped
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    SocketAddress firstSender() {
      return firstSender;
    }

    Count count() {
      return new Count(packets.get(), bytes.get());
    }

    /** Waits for stragglers, closes the socket and returns the count. */
    Count stop() throws Exception {
      Thread.sleep(300);
      Count n = count();
      c.close();
      thread.join(2000);
      return n;
    }
  }
}
