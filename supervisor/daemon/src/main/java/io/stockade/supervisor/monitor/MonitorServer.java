package io.stockade.supervisor.monitor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.supervisor.api.Wire;
import io.stockade.supervisor.lifecycle.Lifecycle;
import io.stockade.supervisor.lifecycle.SandboxView;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-only monitoring over HTTP/1.1 (GET only, one request per connection): /health, /vms,
 * /vms/ID, /vms/ID/snapshots, /metrics. Listens on loopback TCP or on a Unix socket (mode 0600,
 * root only), never on other addresses: it shows every sandbox, so whoever can connect sees all
 * of them (see docs/daemon.md, "Monitoring").
 */
public final class MonitorServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MonitorServer.class);
  private static final int MAX_REQUEST_LINE = 2048;

  private final ServerSocket server;
  private final Lifecycle lifecycle;
  private final Metrics metrics;
  private final ObjectMapper json = new ObjectMapper();
  private final ExecutorService pool =
      new java.util.concurrent.ThreadPoolExecutor(0, 4, 30, java.util.concurrent.TimeUnit.SECONDS,
          new java.util.concurrent.SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "monitor");
            t.setDaemon(true);
            return t;
          });
  private final Thread acceptor;
  private volatile boolean closed;

  private MonitorServer(ServerSocket server, Lifecycle lifecycle, Metrics metrics) {
    this.server = server;
    this.lifecycle = lifecycle;
    this.metrics = metrics;
    this.acceptor = new Thread(this::acceptLoop, "monitor-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Starts listening on {@code listen} (127.0.0.1:PORT, [::1]:PORT, localhost:PORT or /path). */
  public static MonitorServer start(String listen, Lifecycle lifecycle, Metrics metrics) throws IOException {
    ServerSocket s;
    if (listen.startsWith("/")) {
      Path p = Path.of(listen);
      Files.deleteIfExists(p);
      AFUNIXServerSocket u = AFUNIXServerSocket.newInstance();
      u.bind(AFUNIXSocketAddress.of(p));
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
      s = u;
    } else {
      int colon = listen.lastIndexOf(':');
      String host = listen.substring(0, colon).replace("[", "").replace("]", "");
      InetAddress addr = InetAddress.getByName(host);
      if (!addr.isLoopbackAddress()) {
        throw new IOException("monitor.listen " + listen + " is not a loopback address: only loopback is allowed");
      }
      s = new ServerSocket();
      s.bind(new InetSocketAddress(addr, Integer.parseInt(listen.substring(colon + 1))), 16);
    }
    LOG.info("monitoring (read-only) on {}", s instanceof AFUNIXServerSocket ? listen : s.getLocalSocketAddress());
    return new MonitorServer(s, lifecycle, metrics);
  }

  public int port() {
    return server.getLocalPort();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket c = server.accept();
        try {
          pool.execute(() -> serve(c));
        } catch (RejectedExecutionException e) {
          c.close();
        }
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("monitor accept failed: {}", e.toString());
        }
      }
    }
  }

  private void serve(Socket c) {
    try (c) {
      c.setSoTimeout(5000);
      BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.ISO_8859_1), MAX_REQUEST_LINE);
      String line = in.readLine();
      if (line == null || line.length() > MAX_REQUEST_LINE) {
        return;
      }
      String h;
      int headers = 0;
      while ((h = in.readLine()) != null && !h.isEmpty() && headers++ < 100) {
        // headers are not used
      }
      String[] parts = line.split(" ");
      OutputStream out = c.getOutputStream();
      if (parts.length < 2) {
        respond(out, 400, "text/plain", "bad request\n");
      } else if (!parts[0].equals("GET")) {
        respond(out, 405, "text/plain", "read-only: only GET is served\n");
      } else {
        route(out, parts[1]);
      }
    } catch (IOException e) {
      LOG.debug("monitor connection: {}", e.toString());
    }
  }

  private void route(OutputStream out, String target) throws IOException {
    String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
    List<SandboxView> all = lifecycle.all();
    if (path.equals("/health")) {
      ObjectNode o = json.createObjectNode().put("status", "ok").put("sandboxes", all.size());
      respond(out, 200, "application/json", json.writeValueAsString(o) + "\n");
    } else if (path.equals("/metrics")) {
      respond(out, 200, "text/plain; version=0.0.4", metrics.render(all));
    } else if (path.equals("/vms")) {
      respond(out, 200, "application/json", json.writeValueAsString(Wire.sandboxes(all)) + "\n");
    } else if (path.startsWith("/vms/")) {
      String[] seg = path.substring(5).split("/");
      Optional<SandboxView> v = all.stream().filter(s -> s.id().equals(seg[0])).findFirst();
      if (v.isEmpty() || seg.length > 2 || (seg.length == 2 && !seg[1].equals("snapshots"))) {
        respond(out, 404, "text/plain", "not found\n");
      } else if (seg.length == 1) {
        respond(out, 200, "application/json", json.writeValueAsString(Wire.sandbox(v.get())) + "\n");
      } else {
        var snaps = lifecycle.allSnapshots().stream().filter(s -> s.sandboxId().equals(seg[0])).toList();
        respond(out, 200, "application/json", json.writeValueAsString(Wire.snapshots(snaps)) + "\n");
      }
    } else {
      respond(out, 404, "text/plain", "not found: try /health, /vms, /vms/ID, /vms/ID/snapshots, /metrics\n");
    }
  }

  private static void respond(OutputStream out, int code, String type, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    String reason = switch (code) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      default -> "Error";
    };
    String head = "HTTP/1.1 " + code + " " + reason + "\r\nContent-Type: " + type + "\r\nContent-Length: " + b.length
        + "\r\nConnection: close\r\n\r\n";
    out.write(head.getBytes(StandardCharsets.ISO_8859_1));
    out.write(b);
    out.flush();
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    pool.shutdownNow();
  }
}
