package io.stockade.images;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A real TCP server on 127.0.0.1 that answers each request with whatever bytes its script writes,
 * so tests can send what no well-behaved HTTP server library would: a wrong Content-Length, a
 * head in one-byte pieces, a huge head, garbage after the body. Records every request head.
 */
final class ScriptedHttpServer implements AutoCloseable {
  /** Writes the whole response for one request head (request line and headers). */
  interface Script {
    void answer(String requestHead, OutputStream out) throws IOException, InterruptedException;
  }

  private final ServerSocket socket;
  private final ExecutorService pool = Executors.newCachedThreadPool();
  final List<String> requests = new CopyOnWriteArrayList<>();

  ScriptedHttpServer(Script script) throws IOException {
    socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    pool.execute(() -> {
      while (!socket.isClosed()) {
        try {
          Socket s = socket.accept();
          pool.execute(() -> serve(s, script));
        } catch (IOException e) {
          return; // closed by close()
        }
      }
    });
  }

  URI url(String path) {
    return URI.create("http://127.0.0.1:" + socket.getLocalPort() + path);
  }

  private void serve(Socket s, Script script) {
    try (s) {
      String head = readHead(s.getInputStream());
      requests.add(head);
      OutputStream out = s.getOutputStream();
      script.answer(head, out);
      out.flush();
    } catch (IOException e) {
      // The client went away (as a stalled or refused transfer does): nothing to answer.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      head.write(c);
      String h = head.toString(StandardCharsets.ISO_8859_1);
      if (h.endsWith("\r\n\r\n")) {
        return h;
      }
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  static void write(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // Already closed; the pool shutdown below ends the connections' threads.
    }
    pool.shutdownNow();
  }
}
