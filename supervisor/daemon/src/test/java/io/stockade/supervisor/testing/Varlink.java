package io.stockade.supervisor.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Raw varlink exchanges for tests: in-process (as root) or through socat as another user. */
public final class Varlink {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Varlink() {}

  public static String call(String method, String paramsJson) {
    return "{\"method\":\"io.stockade.Supervisor." + method + "\",\"parameters\":" + paramsJson + "}";
  }

  /** Sends each message, then half-closes and reads every reply until the server closes. */
  public static List<JsonNode> asUser(TestUsers.User u, Path socket, String... messages) throws IOException {
    List<String> cmd = List.of("setpriv", "--reuid=" + u.uid(), "--regid=" + u.gid(), "--clear-groups",
        "socat", "-t", "20", "-", "UNIX-CONNECT:" + socket);
    return exchange(cmd, messages);
  }

  public static List<JsonNode> asRootSocat(Path socket, String... messages) throws IOException {
    return exchange(List.of("socat", "-t", "20", "-", "UNIX-CONNECT:" + socket), messages);
  }

  private static List<JsonNode> exchange(List<String> cmd, String... messages) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try (var in = p.getOutputStream()) {
      for (String m : messages) {
        in.write(m.getBytes(StandardCharsets.UTF_8));
        in.write(0);
      }
    }
    byte[] out = p.getInputStream().readAllBytes();
    try {
      p.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return parse(out);
  }

  static List<JsonNode> parse(byte[] out) throws IOException {
    List<JsonNode> replies = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < out.length; i++) {
      if (out[i] == 0) {
        replies.add(JSON.readTree(new String(out, start, i - start, StandardCharsets.UTF_8)));
        start = i + 1;
      }
    }
    return replies;
  }

  /** A connection from this (root) process. */
  public static final class Conn implements AutoCloseable {
    public final SocketChannel ch;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    public Conn(Path socket) throws IOException {
      ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      ch.connect(UnixDomainSocketAddress.of(socket));
    }

    public void sendRaw(byte[] b) throws IOException {
      ByteBuffer buf = ByteBuffer.wrap(b);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }

    public void send(String json) throws IOException {
      byte[] b = json.getBytes(StandardCharsets.UTF_8);
      byte[] f = java.util.Arrays.copyOf(b, b.length + 1);
      sendRaw(f);
    }

    /** The next reply, or null when the server closed the connection. */
    public JsonNode read() throws IOException {
      ByteBuffer one = ByteBuffer.allocate(4096);
      while (true) {
        byte[] have = pending.toByteArray();
        for (int i = 0; i < have.length; i++) {
          if (have[i] == 0) {
            pending.reset();
            pending.write(have, i + 1, have.length - i - 1);
            return JSON.readTree(new String(have, 0, i, StandardCharsets.UTF_8));
          }
        }
        one.clear();
        int n = ch.read(one);
        if (n < 0) {
          return null;
        }
        pending.write(one.array(), 0, n);
      }
    }

    public JsonNode call(String json) throws IOException {
      send(json);
      return read();
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }
}
