package io.stockade.supervisor.api;

import static io.stockade.supervisor.testing.Varlink.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockade.policy.Authorizer;
import io.stockade.supervisor.lifecycle.Drain;
import io.stockade.supervisor.lifecycle.Lifecycle;
import io.stockade.supervisor.lifecycle.SandboxView;
import io.stockade.supervisor.monitor.Metrics;
import io.stockade.supervisor.testing.Fixtures;
import io.stockade.supervisor.testing.Varlink;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Supervisor shutdown in the order the daemon runs it: stop accepting, drain, close. A {@code logs
 * -f} follower stays connected through the drain and sees its sandbox's last words, then its
 * stream ends cleanly; new connections are refused meanwhile.
 */
@Timeout(60)
class ShutdownStreamsTest {
  private Path root;
  private Path socket;
  private Lifecycle lc;
  private ApiServer server;

  @BeforeEach
  void setUp() throws Exception {
    root = Fixtures.tempDir();
    lc = Fixtures.lifecycle(root, Authorizer::empty, Duration.ofSeconds(3), Duration.ofSeconds(1));
    socket = root.resolve("stockade.sock");
    Dispatcher d = new Dispatcher(lc, Authorizer::empty, () -> { throw new UnsupportedOperationException("no preflight here"); }, "test", "interface io.stockade.Supervisor\n");
    server = new ApiServer(ApiSockets.bind(socket, "0600", ""), d, PeerSubjects.system(),
        new ApiLimits(8, 64 * 1024, Duration.ofSeconds(30)), new Metrics());
    server.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    server.close();
    lc.drain(Duration.ofSeconds(5));
    for (SandboxView v : lc.all()) {
      lc.destroy(Fixtures.ROOT, v.id());
    }
    lc.close();
    Fixtures.deleteTree(root);
  }

  @Test
  void followersSeeThePowerOffDuringTheDrain() throws Exception {
    String id = lc.create(Fixtures.ROOT, Fixtures.process("f", "/bin/sh", "-c",
        "trap 'echo powering off now; exit 0' TERM; echo up; while true; do sleep 0.1; done")).id();
    lc.start(Fixtures.ROOT, id);
    await().atMost(Duration.ofSeconds(5)).until(() -> lc.console(Fixtures.ROOT, id).tail(5).lines().contains("up"));
    try (Varlink.Conn follower = new Varlink.Conn(socket)) {
      follower.send("{\"method\":\"io.stockade.Supervisor.Logs\",\"parameters\":{\"id\":\"" + id + "\"},\"more\":true}");
      assertThat(follower.read().path("parameters").path("data").asText()).contains("up");

      server.stopAccepting(); // SIGTERM: what Supervisor.run does first
      assertThatThrownBy(() -> new Varlink.Conn(socket).call(call("Ping", "{}"))).isInstanceOf(IOException.class);
      Drain.Result r = lc.drain(Duration.ofSeconds(10));
      assertThat(r.stopped()).isEqualTo(1);

      List<JsonNode> rest = new ArrayList<>();
      JsonNode n;
      while ((n = follower.read()) != null) {
        rest.add(n);
        if (!n.path("continues").asBoolean(false)) {
          break;
        }
      }
      assertThat(rest).isNotEmpty();
      assertThat(rest.toString()).contains("powering off now");
      assertThat(rest.get(rest.size() - 1).path("continues").asBoolean(false)).isFalse(); // ended, not cut off
    }
  }
}
