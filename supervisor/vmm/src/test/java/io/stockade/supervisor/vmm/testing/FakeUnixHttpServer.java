package io.stockade.supervisor.vmm.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An HTTP/1.1 server on a Unix socket with micro_http's strictness (the server library of
 * Firecracker and cloud-hypervisor): no chunked bodies, a body needs Content-Length, bodies of at
 * most 51,200 bytes, persistent connections. Every violation is recorded for the test to assert.
 */
public final class FakeUnixHttpServer implements AutoCloseable {
  public static final int MAX_BODY = 51_200;

  /** One parsed request. */
  public record Request(String method, String path, Map<String, String> headers, String body) {}

  /** A response; {@code reason} may be empty, {@code body} null sends no body and no Content-Length on 204. */
  public record Response(int status, String reason, String body) {}

  /** Answers requests; runs on the connection's thread. */
  public interface Handler {
    Response handle(Request request);
  }

  private final ServerSocketChannel server;
  private final Path socket;
  private final Handler handler;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final List<String> violations = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private FakeUnixHttpServer(Path socket, Handler handler) throws IOException {
    this.socket = socket;
    this.handler = handler;
    Files.deleteIfExists(socket);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    Thread t = new Thread(this::acceptLoop, "fake-http-" + socket.getFileName());
    t.setDaemon(true);
    t.start();
  }

  public static FakeUnixHttpServer start(Path socket, Handler handler) throws IOException {
    return new FakeUnixHttpServer(socket, handler);
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /** Transport-level violations (the API handlers record their own through {@link #violation}). */
  public List<String> violations() {
    return List.copyOf(violations);
  }

  public void violation(String v) {
    violations.add(v);
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        SocketChannel ch = server.accept();
        Thread t = new Thread(() -> serve(ch), "fake-http-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(SocketChannel ch) {
    try (ch) {
      InputStream in = Channels.newInputStream(ch);
      OutputStream out = Channels.newOutputStream(ch);
      while (true) {
        String line = line(in);
        if (line == null) {
          return;
        }
        String[] rl = line.split(" ");
        if (rl.length != 3 || !rl[2].equals("HTTP/1.1")) {
          write(out, new Response(400, "", "{\"fault_message\":\"Invalid request line: " + line + "\"}"));
          violations.add("bad request line: " + line);
          return;
        }
        Map<String, String> headers = new TreeMap<>();
        String h;
        while ((h = line(in)) != null && !h.isEmpty()) {
          int c = h.indexOf(':');
          headers.put(h.substring(0, c).trim().toLowerCase(Locale.ROOT), h.substring(c + 1).trim());
        }
        if (headers.containsKey("transfer-encoding")) {
          violations.add(rl[0] + " " + rl[1] + ": Transfer-Encoding " + headers.get("transfer-encoding"));
          write(out, new Response(400, "", "{\"fault_message\":\"Unsupported transfer encoding.\"}"));
          return;
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        if (length > MAX_BODY) {
          violations.add(rl[0] + " " + rl[1] + ": body of " + length + " bytes");
          write(out, new Response(413, "", "{\"fault_message\":\"Request payload too large.\"}"));
          return;
        }
        String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        if (!rl[0].equals("GET") && !headers.containsKey("content-length")) {
          violations.add(rl[0] + " " + rl[1] + ": no Content-Length");
        }
        Request r = new Request(rl[0], rl[1], headers, body);
        requests.add(r);
        write(out, handler.handle(r));
      }
    } catch (IOException | RuntimeException e) {
      // Peer closed mid-request; nothing to answer.
    }
  }

  private static void write(OutputStream out, Response r) throws IOException {
    StringBuilder b = new StringBuilder("HTTP/1.1 ").append(r.status()).append(' ').append(r.reason()).append("\r\n");
    b.append("Server: Fake VMM API\r\n");
    byte[] body = r.body() == null ? new byte[0] : r.body().getBytes(StandardCharsets.UTF_8);
    if (r.body() != null) {
      b.append("Content-Type: application/json\r\n");
      b.append("Content-Length: ").append(body.length).append("\r\n");
    }
    b.append("\r\n");
    out.write(b.toString().getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      buf.write(c);
    }
    if (c == -1 && buf.size() == 0) {
      return null;
    }
    String s = buf.toString(StandardCharsets.ISO_8859_1);
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }

  /** Stops serving; the socket file stays behind, as a killed VMM leaves it. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // Closing a listening socket; nothing to do.
    }
  }

  public Path socket() {
    return socket;
  }
}
