package io.stockade.supervisor.monitor;

import static io.stockade.supervisor.testing.Fixtures.ROOT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stockade.policy.Authorizer;
import io.stockade.supervisor.lifecycle.Lifecycle;
import io.stockade.supervisor.testing.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** The read-only monitoring endpoints over real loopback TCP and a real Unix socket. */
class MonitorServerTest {
  private Path root;
  private Lifecycle lc;
  private final Metrics metrics = new Metrics();

  @BeforeEach
  void setUp() throws Exception {
    root = Fixtures.tempDir();
    lc = Fixtures.lifecycle(root, Authorizer::empty, Duration.ofSeconds(1), Duration.ofSeconds(1));
  }

  @AfterEach
  void tearDown() throws Exception {
    lc.drain(Duration.ofSeconds(5));
    lc.close();
    Fixtures.deleteTree(root);
  }

  private static String get(Socket s, String request) throws IOException {
    try (s; OutputStream out = s.getOutputStream(); InputStream in = s.getInputStream()) {
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void endpointsOverLoopback() throws Exception {
    String id = lc.create(ROOT, Fixtures.process("m", "/bin/sleep", "30")).id();
    lc.start(ROOT, id);
    metrics.call("io.stockade.Supervisor.Ping", null);
    metrics.call("io.stockade.Supervisor.Stop", "io.stockade.Supervisor.NotFound");
    metrics.launched("process", Duration.ofMillis(30), true);
    try (MonitorServer m = MonitorServer.start("127.0.0.1:0", lc, metrics)) {
      int port = m.port();
      assertThat(get(new Socket("127.0.0.1", port), "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"))
          .startsWith("HTTP/1.1 200").contains("\"sandboxes\":1");
      assertThat(get(new Socket("127.0.0.1", port), "GET /vms HTTP/1.1\r\n\r\n")).contains(id).contains("\"state\":\"running\"");
      assertThat(get(new Socket("127.0.0.1", port), "GET /vms/" + id + " HTTP/1.1\r\n\r\n")).contains("\"name\":\"m\"");
      assertThat(get(new Socket("127.0.0.1", port), "GET /vms/" + id + "/snapshots HTTP/1.1\r\n\r\n")).contains("[]");
      assertThat(get(new Socket("127.0.0.1", port), "GET /vms/nope HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 404");
      String prom = get(new Socket("127.0.0.1", port), "GET /metrics HTTP/1.1\r\n\r\n");
      assertThat(prom).contains("stockade_sandboxes{state=\"running\"} 1")
          .contains("stockade_api_calls_total{method=\"io.stockade.Supervisor.Ping\"} 1")
          .contains("stockade_api_errors_total{method=\"io.stockade.Supervisor.Stop\",error=\"NotFound\"} 1")
          .contains("stockade_launch_duration_seconds_bucket{kind=\"process\",result=\"ok\",le=\"0.05\"} 1");
      assertThat(get(new Socket("127.0.0.1", port), "POST /vms HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 405");
      assertThat(get(new Socket("127.0.0.1", port), "DELETE /vms/" + id + " HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 405");
    }
    assertThat(lc.get(ROOT, id).state().wireName()).isEqualTo("running");
  }

  @Test
  void unixSocketIsRootOnlyAndOtherAddressesAreRefused() throws Exception {
    Path sock = root.resolve("monitor.sock");
    try (MonitorServer m = MonitorServer.start(sock.toString(), lc, metrics)) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock))).isEqualTo("rw-------");
      AFUNIXSocket s = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(sock));
      assertThat(get(s, "GET /health HTTP/1.1\r\n\r\n")).contains("\"status\":\"ok\"");
    }
    assertThatThrownBy(() -> MonitorServer.start("0.0.0.0:0", lc, metrics)).hasMessageContaining("loopback");
  }
}
