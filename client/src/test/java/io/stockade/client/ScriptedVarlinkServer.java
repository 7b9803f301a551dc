package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.client.varlink.FrameReader;
import io.stockade.client.varlink.FrameWriter;
import io.stockade.client.varlink.VarlinkCall;
import io.stockade.client.varlink.VarlinkJson;
import io.stockade.client.varlink.VarlinkReply;
import io.stockade.client.varlink.VarlinkService;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real varlink server on a Unix socket under a unique /tmp/stk-cl-* directory that answers each
 * method with what the test scripted. It exists to test the client, so it is simple: a thread per
 * connection, handlers that write replies (or misbehave) by hand. Unscripted methods get
 * org.varlink.service.MethodNotFound, as from a real server.
 */
public final class ScriptedVarlinkServer implements AutoCloseable {

  /** What a handler can send back. */
  public interface Exchange {
    void reply(Record parameters) throws IOException;

    void continuing(Record parameters) throws IOException;

    void error(StockadeException error) throws IOException;

    void raw(byte[] bytes) throws IOException;

    /** Closes the connection. */
    void hangUp() throws IOException;

    /** Blocks until the client hangs up (or the server closes); true when the client did. */
    boolean awaitClientHangUp() throws IOException;
  }

  public interface Handler {
    void handle(VarlinkCall call, Exchange exchange) throws Exception;
  }

  private final Path dir;
  private final Path socket;
  private final ServerSocketChannel server;
  private final Thread acceptor;
  private final Map<String, Handler> handlers = new ConcurrentHashMap<>();
  private final List<VarlinkCall> calls = new CopyOnWriteArrayList<>();
  private final List<SocketChannel> connections = new CopyOnWriteArrayList<>();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private final List<Throwable> handlerFailures = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private ScriptedVarlinkServer() throws IOException {
    dir = Files.createTempDirectory("stk-cl-srv-");
    socket = dir.resolve("stockade.sock");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    acceptor = new Thread(this::acceptLoop, "stk-cl-scripted-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public static ScriptedVarlinkServer start() throws IOException {
    return new ScriptedVarlinkServer();
  }

  public Path socket() {
    return socket;
  }

  /** Scripts a method by its short name (Ping) or full name (org.varlink.service.GetInfo). */
  public ScriptedVarlinkServer on(String method, Handler handler) {
    handlers.put(method.contains(".") ? method : SupervisorProtocol.INTERFACE + "." + method, handler);
    return this;
  }

  public ScriptedVarlinkServer replies(String method, Record reply) {
    return on(method, (call, ex) -> ex.reply(reply));
  }

  public ScriptedVarlinkServer fails(String method, StockadeException error) {
    return on(method, (call, ex) -> ex.error(error));
  }

  public List<VarlinkCall> calls() {
    return calls;
  }

  public VarlinkCall lastCall() {
    return calls.get(calls.size() - 1);
  }

  /** How many connections the server accepted so far. */
  public int connectionCount() {
    return connections.size();
  }

  public List<Throwable> handlerFailures() {
    return handlerFailures;
  }

  private void acceptLoop() {
    while (!closed) {
      SocketChannel ch;
      try {
        ch = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      connections.add(ch);
      Thread t = new Thread(() -> serve(ch), "stk-cl-scripted-conn");
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  private void serve(SocketChannel ch) {
    FrameReader reader = FrameReader.of(Channels.newInputStream(ch));
    OutputStream rawOut = Channels.newOutputStream(ch);
    FrameWriter writer = FrameWriter.of(rawOut);
    try (ch) {
      while (ch.isOpen()) {
        byte[] frame = reader.readFrame();
        if (frame == null) {
          return;
        }
        VarlinkCall call = VarlinkCall.parse(frame);
        calls.add(call);
        Handler h = handlers.get(call.method());
        if (h == null && call.method().equals(VarlinkService.GET_INTERFACE_DESCRIPTION)) {
          h = (c, ex) -> ex.reply(new VarlinkService.InterfaceDescription(SupervisorProtocol.interfaceDescription()));
        }
        Exchange ex = exchange(ch, reader, writer, rawOut);
        if (h == null) {
          ex.error(new MethodNotFoundException(call.method()));
        } else {
          h.handle(call, ex);
        }
      }
    } catch (Exception e) {
      if (!closed && ch.isOpen()) {
        handlerFailures.add(e);
      }
    }
  }

  private Exchange exchange(SocketChannel ch, FrameReader reader, FrameWriter writer, OutputStream rawOut) {
    return new Exchange() {
      @Override
      public void reply(Record parameters) throws IOException {
        writer.writeFrame(VarlinkReply.of(VarlinkJson.encode(parameters)).toBytes());
      }

      @Override
      public void continuing(Record parameters) throws IOException {
        writer.writeFrame(VarlinkReply.continuing(VarlinkJson.encode(parameters)).toBytes());
      }

      @Override
      public void error(StockadeException error) throws IOException {
        writer.writeFrame(error.toReply().toBytes());
      }

      @Override
      public void raw(byte[] bytes) throws IOException {
        rawOut.write(bytes);
        rawOut.flush();
      }

      @Override
      public void hangUp() throws IOException {
        ch.close();
      }

      @Override
      public boolean awaitClientHangUp() throws IOException {
        try {
          return reader.readFrame() == null;
        } catch (IOException e) {
          return true;
        }
      }
    };
  }

  /** A canned sandbox, for replies. */
  public static SandboxInfo sandbox(String id, SandboxState state) {
    return new SandboxInfo(id, "name-" + id, SandboxKind.QEMU, 1000, state, null, null, "default", 1, 256,
        List.of(), List.of(), java.time.Instant.parse("2026-11-26T12:00:00Z"), null, null, null, null, null);
  }

  public static ObjectNode params(String key, String value) {
    return VarlinkJson.newObject().put(key, value);
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (SocketChannel c : connections) {
      c.close();
    }
    try {
      acceptor.join(5000);
      for (Thread t : threads) {
        t.join(5000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Files.deleteIfExists(socket);
    Files.deleteIfExists(dir);
  }
}
