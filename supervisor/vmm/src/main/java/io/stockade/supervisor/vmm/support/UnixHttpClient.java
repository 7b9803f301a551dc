package io.stockade.supervisor.vmm.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A minimal HTTP/1.1 client over a Unix socket, for the Firecracker and cloud-hypervisor APIs.
 * Their servers (micro_http) accept only what curl sends: every request carries Content-Length
 * (never chunked), one request per connection here, and bodies of at most 51,200 bytes. Responses
 * may have an empty reason phrase and a 204 may come without Content-Length.
 */
public final class UnixHttpClient {
  /** Firecracker's micro_http refuses larger request bodies. */
  public static final int MAX_BODY = 51_200;

  private final Path socket;
  private final Duration timeout;

  private UnixHttpClient(Path socket, Duration timeout) {
    this.socket = socket;
    this.timeout = timeout;
  }

  public static UnixHttpClient of(Path socket, Duration timeout) {
    return new UnixHttpClient(socket, timeout);
  }

  public Path socket() {
    return socket;
  }

  /** A response: status, reason (may be empty), lower-cased header names, body. */
  public record Response(int status, String reason, Map<String, String> headers, String body) {
    public boolean ok() {
      return status >= 200 && status < 300;
    }
  }

  /** Sends one request; {@code jsonBody} null sends none. Throws IOException on transport errors. */
  public Response send(String method, String path, String jsonBody) throws IOException {
    byte[] body = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
    if (body.length > MAX_BODY) {
      throw new IOException(
          method + " " + path + ": body of " + body.length + " bytes exceeds the API's limit of "
              + MAX_BODY);
    }
    StringBuilder head = new StringBuilder();
    head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
    head.append("Host: localhost\r\n");
    head.append("Accept: application/json\r\n");
    if (jsonBody != null) {
      head.append("Content-Type: application/json\r\n");
    }
    // Always a Content-Length, also 0 for GET: micro_http rejects chunked transfer encoding.
    head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
    CompletableFuture<Response> result =
        CompletableFuture.supplyAsync(
            () -> {
              try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(socket));
                OutputStream out = Channels.newOutputStream(ch);
                out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                return read(Channels.newInputStream(ch), method);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    try {
      return result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      result.cancel(true);
      throw new IOException(method + " " + path + " on " + socket + ": no answer in " + timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof java.io.UncheckedIOException u) {
        throw new IOException(method + " " + path + " on " + socket + ": " + u.getCause().getMessage(), u.getCause());
      }
      throw new IOException(method + " " + path + " on " + socket + ": " + c, c);
    }
  }

  static Response read(InputStream in, String method) throws IOException {
    String status = line(in);
    if (status == null || !status.startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP response: " + status);
    }
    // "HTTP/1.1 204 " and "HTTP/1.1 204" (no reason phrase) are both legal.
    String[] parts = status.split(" ", 3);
    if (parts.length < 2) {
      throw new IOException("malformed status line: " + status);
    }
    int code = Integer.parseInt(parts[1].trim());
    String reason = parts.length == 3 ? parts[2].trim() : "";
    Map<String, String> headers = new LinkedHashMap<>();
    String h;
    while ((h = line(in)) != null && !h.isEmpty()) {
      int colon = h.indexOf(':');
      if (colon > 0) {
        headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
    }
    if ("chunked".equalsIgnoreCase(headers.getOrDefault("transfer-encoding", ""))) {
      throw new IOException("chunked responses are not expected from this API");
    }
    String length = headers.get("content-length");
    byte[] body;
    if (length != null) {
      body = in.readNBytes(Integer.parseInt(length));
    } else if (code == 204 || code == 304 || code / 100 == 1 || "HEAD".equals(method)) {
      body = new byte[0];
    } else {
      body = in.readAllBytes();
    }
    return new Response(code, reason, headers, new String(body, StandardCharsets.UTF_8));
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        break;
      }
      buf.write(c);
    }
    if (c == -1 && buf.size() == 0) {
      return null;
    }
    String s = buf.toString(StandardCharsets.ISO_8859_1);
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }
}
