package io.stockade.client.varlink;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/** Two connected ends of a real Unix stream socket bound under a unique /tmp/stk-cl-* directory. */
final class UnixSocketPair implements AutoCloseable {
  final SocketChannel left;
  final SocketChannel right;
  private final Path dir;

  UnixSocketPair() throws IOException {
    dir = Files.createTempDirectory("stk-cl-pair-");
    Path path = dir.resolve("s.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(path));
      left = SocketChannel.open(UnixDomainSocketAddress.of(path));
      right = server.accept();
    }
    Files.deleteIfExists(path);
  }

  InputStream rightIn() {
    return Channels.newInputStream(right);
  }

  OutputStream leftOut() {
    return Channels.newOutputStream(left);
  }

  @Override
  public void close() throws IOException {
    left.close();
    right.close();
    Files.deleteIfExists(dir.resolve("s.sock"));
    Files.deleteIfExists(dir);
  }
}
