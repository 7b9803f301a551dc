package io.stockade.supervisor.vmm.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.supervisor.vmm.VmmException;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A QEMU Machine Protocol client over the VMM's Unix socket: the capabilities handshake, typed
 * commands, file descriptors passed with SCM_RIGHTS (for {@code getfd}) and asynchronous events.
 * Replies are matched to commands by their {@code id}.
 */
final class QmpClient implements AutoCloseable {
  /** An asynchronous QMP event (SHUTDOWN, STOP, RESUME, POWERDOWN, MIGRATION...). */
  record Event(String name, JsonNode data) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private final AFUNIXSocket socket;
  private final OutputStream out;
  private final Duration timeout;
  private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final CopyOnWriteArrayList<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();
  private final CompletableFuture<JsonNode> greeting = new CompletableFuture<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private final AtomicLong ids = new AtomicLong();

  private QmpClient(AFUNIXSocket socket, Duration timeout) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.timeout = timeout;
  }

  /**
   * Connects to {@code path} once QEMU has created it (polling until {@code deadline} or until
   * {@code exit} completes), reads the greeting and negotiates capabilities.
   */
  static QmpClient connect(Path path, Duration wait, Duration timeout, Future<?> exit, Consumer<Event> listener)
      throws VmmException {
    long deadline = System.nanoTime() + wait.toNanos();
    IOException last = null;
    while (System.nanoTime() < deadline && !exit.isDone()) {
      if (Files.exists(path)) {
        try {
          AFUNIXSocket s = AFUNIXSocket.newInstance();
          s.connect(AFUNIXSocketAddress.of(path.toFile()));
          QmpClient c = new QmpClient(s, timeout);
          if (listener != null) {
            c.listeners.add(listener);
          }
          c.start();
          return c;
        } catch (IOException e) {
          last = e; // QEMU bound the socket but is not listening yet.
        }
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new VmmException("interrupted while connecting to QMP at " + path, e);
      }
    }
    throw new VmmException(
        "qmp connect " + path + ": "
            + (exit.isDone() ? "QEMU exited before opening its QMP socket" : "no QMP socket within " + wait)
            + (last == null ? "" : " (" + last.getMessage() + ")"),
        last);
  }

  private void start() throws VmmException {
    Thread reader = new Thread(this::readLoop, "qmp-" + socket.getLocalSocketAddress());
    reader.setDaemon(true);
    reader.start();
    await(greeting, "greeting");
    execute("qmp_capabilities", null);
  }

  void addListener(Consumer<Event> listener) {
    listeners.add(listener);
  }

  /** Completes when QEMU closed the socket (it exited). */
  CompletableFuture<Void> closed() {
    return closed;
  }

  private void readLoop() {
    try (MappingIterator<JsonNode> it = JSON.readerFor(JsonNode.class).readValues(socket.getInputStream())) {
      while (it.hasNextValue()) {
        JsonNode msg = it.nextValue();
        if (msg.has("QMP")) {
          greeting.complete(msg);
        } else if (msg.has("event")) {
          Event e = new Event(msg.get("event").asText(), msg.path("data"));
          for (Consumer<Event> l : listeners) {
            l.accept(e);
          }
        } else if (msg.has("id")) {
          CompletableFuture<JsonNode> f = pending.remove(msg.get("id").asText());
          if (f != null) {
            f.complete(msg);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // The socket closed (QEMU exited) or sent garbage; pending commands fail below.
    } finally {
      IOException gone = new IOException("QMP connection closed");
      greeting.completeExceptionally(gone);
      pending.values().forEach(f -> f.completeExceptionally(gone));
      closed.complete(null);
    }
  }

  /** Runs {@code command}; returns its "return" value or throws with QEMU's error description. */
  JsonNode execute(String command, Map<String, ?> arguments) throws VmmException {
    return execute(command, arguments, null);
  }

  /** As {@link #execute(String, Map)}, passing {@code fd} along with the command (SCM_RIGHTS). */
  synchronized JsonNode execute(String command, Map<String, ?> arguments, FileDescriptor fd)
      throws VmmException {
    String id = "stk-" + ids.incrementAndGet();
    ObjectNode msg = JSON.createObjectNode().put("execute", command).put("id", id);
    if (arguments != null) {
      msg.set("arguments", JSON.valueToTree(arguments));
    }
    CompletableFuture<JsonNode> reply = new CompletableFuture<>();
    pending.put(id, reply);
    try {
      if (fd != null) {
        // junixsocket attaches these descriptors to the next write as ancillary data.
        socket.setOutboundFileDescriptors(fd);
      }
      out.write((JSON.writeValueAsString(msg) + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
    } catch (IOException e) {
      pending.remove(id);
      throw new VmmException("qmp " + command + ": cannot send: " + e.getMessage(), e);
    }
    JsonNode r = await(reply, command);
    if (r.has("error")) {
      JsonNode err = r.get("error");
      throw new VmmException(
          "qmp " + command + " failed: " + err.path("class").asText() + ": " + err.path("desc").asText());
    }
    return r.path("return");
  }

  private JsonNode await(CompletableFuture<JsonNode> f, String what) throws VmmException {
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new VmmException("qmp " + what + ": no reply within " + timeout, e);
    } catch (ExecutionException e) {
      throw new VmmException("qmp " + what + ": " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VmmException("qmp " + what + ": interrupted", e);
    }
  }

  // Typed commands (QEMU 7.2 QAPI schema).

  void stop() throws VmmException {
    execute("stop", null);
  }

  void cont() throws VmmException {
    execute("cont", null);
  }

  void systemPowerdown() throws VmmException {
    execute("system_powerdown", null);
  }

  /** "running", "paused", "inmigrate", "postmigrate", "shutdown"... */
  String queryStatus() throws VmmException {
    return execute("query-status", null).path("status").asText();
  }

  void getfd(String name, FileDescriptor fd) throws VmmException {
    execute("getfd", Map.of("fdname", name), fd);
  }

  void migrate(String uri) throws VmmException {
    execute("migrate", Map.of("uri", uri));
  }

  void migrateIncoming(String uri) throws VmmException {
    execute("migrate-incoming", Map.of("uri", uri));
  }

  /** The migration's status: "setup", "active", "completed", "failed"... */
  JsonNode queryMigrate() throws VmmException {
    return execute("query-migrate", null);
  }

  void migrateSetMaxBandwidth(long bytesPerSecond) throws VmmException {
    execute("migrate-set-parameters", Map.of("max-bandwidth", bytesPerSecond));
  }

  void quit() throws VmmException {
    execute("quit", null);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // Closing a socket whose peer is gone; nothing to do.
    }
  }
}
