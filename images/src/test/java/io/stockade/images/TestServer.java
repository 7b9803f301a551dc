package io.stockade.images;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real HTTP server on 127.0.0.1 that serves byte arrays and misbehaves on purpose, per path:
 * drop the connection mid-body, send other bytes, answer 500, stall, ignore Range, redirect.
 * Counts and records every request.
 */
final class TestServer implements AutoCloseable {
  enum Mode { NORMAL, DROP, WRONG_BYTES, ERROR_500, NOT_FOUND, STALL, IGNORE_RANGE, TOO_LONG, SLOW, RANGE_416, WRONG_RANGE }

  /** How a path behaves for its first {@code times} requests; NORMAL afterwards. */
  record Behaviour(Mode mode, int times, long afterBytes) {}

  record Request(String path, String range) {}

  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

  private final HttpServer server;
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();
  private final Map<String, Behaviour> behaviours = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private final Map<String, String> redirects = new ConcurrentHashMap<>();
  final List<Request> requests = new CopyOnWriteArrayList<>();

  private final String scheme;

  TestServer() throws IOException {
    this(null);
  }

  /** Serves HTTPS with {@code tls} when given. */
  TestServer(javax.net.ssl.SSLContext tls) throws IOException {
    InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    if (tls == null) {
      server = HttpServer.create(any, 50);
      scheme = "http";
    } else {
      com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(any, 50);
      https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
      server = https;
      scheme = "https";
    }
    server.createContext("/", this::handle);
    server.setExecutor(pool);
    server.start();
  }

  URI url(String path) {
    return URI.create(scheme + "://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  TestServer serve(String path, byte[] content) {
    files.put(path, content);
    return this;
  }

  TestServer behave(String path, Mode mode, int times, long afterBytes) {
    behaviours.put(path, new Behaviour(mode, times, afterBytes));
    return this;
  }

  TestServer redirect(String from, String to) {
    redirects.put(from, to);
    return this;
  }

  int count(String path) {
    AtomicInteger c = counts.get(path);
    return c == null ? 0 : c.get();
  }

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    String range = ex.getRequestHeaders().getFirst("Range");
    requests.add(new Request(path, range));
    int n = counts.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
    try (ex) {
      if (redirects.containsKey(path)) {
        ex.getResponseHeaders().add("Location", redirects.get(path));
        ex.sendResponseHeaders(302, -1);
        return;
      }
      byte[] body = files.get(path);
      Behaviour b = behaviours.getOrDefault(path, new Behaviour(Mode.NORMAL, 0, 0));
      Mode mode = n <= b.times() ? b.mode() : Mode.NORMAL;
      if (body == null || mode == Mode.NOT_FOUND) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      if (mode == Mode.ERROR_500) {
        ex.sendResponseHeaders(500, -1);
        return;
      }
      long start = 0;
      Matcher m = range == null ? null : RANGE.matcher(range);
      if (m != null && m.matches() && mode == Mode.RANGE_416) {
        ex.getResponseHeaders().add("Content-Range", "bytes */" + body.length);
        ex.sendResponseHeaders(416, -1);
        return;
      }
      if (m != null && m.matches() && mode == Mode.WRONG_RANGE) {
        // Answers a Range request with another range than asked: bytes from the start.
        ex.getResponseHeaders().add("Content-Range", "bytes 0-" + (body.length - 1) + "/" + body.length);
        ex.sendResponseHeaders(206, body.length);
        ex.getResponseBody().write(body);
        return;
      }
      if (m != null && m.matches() && mode != Mode.IGNORE_RANGE) {
        start = Long.parseLong(m.group(1));
        ex.getResponseHeaders().add("Content-Range",
            "bytes " + start + "-" + (body.length - 1) + "/" + body.length);
        ex.sendResponseHeaders(206, body.length - start);
      } else if (mode == Mode.TOO_LONG) {
        ex.sendResponseHeaders(200, body.length + 10L);
        body = java.util.Arrays.copyOf(body, body.length + 10);
      } else {
        ex.sendResponseHeaders(200, body.length);
      }
      if (mode == Mode.WRONG_BYTES) {
        body = body.clone();
        body[body.length / 2] ^= 0x55;
      }
      OutputStream out = ex.getResponseBody();
      long end = mode == Mode.DROP || mode == Mode.STALL ? Math.min(body.length, start + b.afterBytes()) : body.length;
      for (long pos = start; pos < end; ) {
        int len = (int) Math.min(64 * 1024, end - pos);
        out.write(body, (int) pos, len);
        pos += len;
        if (mode == Mode.SLOW) {
          sleep(b.afterBytes());
        }
      }
      out.flush();
      if (mode == Mode.STALL) {
        sleep(60_000);
      }
      if (mode == Mode.DROP) {
        // Fewer bytes than Content-Length, then close: the client sees a truncated body.
        throw new IOException("dropping the connection on purpose");
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
