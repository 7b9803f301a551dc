package io.stockade.supervisor.api;

import static io.stockade.supervisor.testing.Varlink.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockade.policy.Grant;
import io.stockade.supervisor.lifecycle.Lifecycle;
import io.stockade.supervisor.lifecycle.SandboxView;
import io.stockade.supervisor.monitor.Metrics;
import io.stockade.supervisor.testing.Fixtures;
import io.stockade.supervisor.testing.TestPolicy;
import io.stockade.supervisor.testing.TestUsers;
import io.stockade.supervisor.testing.Varlink;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The API server on a real socket, with real unprivileged users as clients (socat run under
 * setpriv, so the kernel reports their uid as the peer) and real processes as workloads.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class ApiServerTest {
  private Path root;
  private Path socket;
  private TestUsers users;
  private TestUsers.User alice;
  private TestUsers.User bob;
  private TestUsers.User carol;
  private Lifecycle lc;
  private ApiServer server;

  @BeforeAll
  void setUp() throws Exception {
    Assumptions.assumeTrue(TestUsers.available(), "needs root, useradd and setpriv to act as other users");
    Assumptions.assumeTrue(new java.io.File("/usr/bin/socat").canExecute(), "needs socat for raw varlink exchanges");
    root = Fixtures.tempDir();
    users = TestUsers.create();
    alice = users.add();
    bob = users.add();
    carol = users.add(); // no grant at all
    Map<Integer, Grant> grants = new HashMap<>();
    grants.put(alice.uid(), TestPolicy.processGrant(2, "/bin/sleep", "/bin/sh"));
    grants.put(bob.uid(), TestPolicy.processGrant(2, "/bin/sleep"));
    TestPolicy policy = new TestPolicy(grants);
    lc = Fixtures.lifecycle(root, () -> policy, Duration.ofSeconds(2), Duration.ofSeconds(1));
    socket = root.resolve("run/stockade.sock");
    var ss = ApiSockets.bind(socket, "0660", users.group);
    Dispatcher d = new Dispatcher(lc, () -> policy, () -> { throw new UnsupportedOperationException("no preflight here"); }, "test", "interface io.stockade.Supervisor\n");
    server = new ApiServer(ss, d, PeerSubjects.system(), new ApiLimits(32, 64 * 1024, Duration.ofSeconds(2)), new Metrics());
    server.start();
  }

  @AfterAll
  void tearDown() throws Exception {
    if (server != null) {
      server.close();
    }
    if (lc != null) {
      lc.drain(Duration.ofSeconds(5));
      for (SandboxView v : lc.all()) {
        lc.destroy(Fixtures.ROOT, v.id());
      }
      lc.close();
    }
    if (users != null) {
      users.close();
    }
    Fixtures.deleteTree(root);
  }

  @Test
  void socketHasModeAndGroup() throws Exception {
    assertThat(Files.getPosixFilePermissions(socket)).hasSize(4);
    assertThat(Files.getAttribute(socket, "posix:group").toString()).isEqualTo(users.group);
  }

  @Test
  void pingGetInfoAndErrorsOverSocat() throws Exception {
    List<JsonNode> r = Varlink.asUser(carol, socket,
        call("Ping", "{}"),
        "{\"method\":\"org.varlink.service.GetInfo\"}",
        "{\"method\":\"org.varlink.service.GetInterfaceDescription\",\"parameters\":{\"interface\":\"io.stockade.Supervisor\"}}",
        call("List", "{}"),
        call("NoSuchMethod", "{}"),
        "{\"method\":\"com.example.Nope.Ping\"}",
        call("Ping", "{\"unexpected\":1}"),
        "this is not json",
        call("Ping", "{}"));
    assertThat(r).hasSize(9);
    assertThat(r.get(0).path("parameters").path("protocolVersion").asInt()).isEqualTo(1);
    assertThat(r.get(1).path("parameters").path("interfaces").toString()).contains("io.stockade.Supervisor");
    assertThat(r.get(2).path("parameters").path("description").asText()).startsWith("interface io.stockade.Supervisor");
    assertThat(r.get(3).path("error").asText()).isEqualTo("io.stockade.Supervisor.PermissionDenied");
    assertThat(r.get(3).path("parameters").path("reason").asText()).contains("uid " + carol.uid());
    assertThat(r.get(4).path("error").asText()).isEqualTo("org.varlink.service.MethodNotFound");
    assertThat(r.get(5).path("error").asText()).isEqualTo("org.varlink.service.InterfaceNotFound");
    assertThat(r.get(6).path("error").asText()).isEqualTo("org.varlink.service.InvalidParameter");
    assertThat(r.get(6).path("parameters").path("parameter").asText()).isEqualTo("unexpected");
    assertThat(r.get(7).path("error").asText()).isEqualTo("io.stockade.Supervisor.InvalidRequest");
    assertThat(r.get(8).has("error")).isFalse();
  }

  @Test
  void sandboxesBelongToTheirCreator() throws Exception {
    List<JsonNode> r = Varlink.asUser(alice, socket,
        call("Create", "{\"spec\":{\"kind\":\"process\",\"name\":\"own\",\"command\":[\"/bin/sh\",\"-c\",\"echo hi from $(id -u); exec sleep 60\"]}}"),
        call("Start", "{\"id\":\"own\"}"),
        call("List", "{}"));
    assertThat(r.get(0).path("parameters").path("sandbox").path("state").asText()).isEqualTo("created");
    assertThat(r.get(0).path("parameters").path("sandbox").path("ownerUid").asInt()).isEqualTo(alice.uid());
    String id = r.get(0).path("parameters").path("sandbox").path("id").asText();
    assertThat(r.get(1).path("parameters").path("sandbox").path("state").asText()).isEqualTo("running");
    assertThat(r.get(2).path("parameters").path("sandboxes").toString()).contains(id);

    List<JsonNode> b = Varlink.asUser(bob, socket,
        call("List", "{}"), call("Stop", "{\"id\":\"" + id + "\"}"), call("Get", "{\"id\":\"" + id + "\"}"),
        call("Destroy", "{\"id\":\"own\"}"));
    assertThat(b.get(0).path("parameters").path("sandboxes")).isEmpty();
    for (int i = 1; i < 4; i++) {
      assertThat(b.get(i).path("error").asText()).isEqualTo("io.stockade.Supervisor.NotFound");
    }
    try (Varlink.Conn c = new Varlink.Conn(socket)) {
      JsonNode all = c.call(call("List", "{}"));
      assertThat(all.path("parameters").path("sandboxes").toString()).contains(id);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> Varlink.asUser(alice, socket, call("Logs", "{\"id\":\"own\"}"))
        .get(0).path("parameters").path("data").asText().contains("hi from " + Fixtures.NOBODY));
    List<JsonNode> end = Varlink.asUser(alice, socket,
        call("Stop", "{\"id\":\"own\",\"graceful\":false}"), call("Stop", "{\"id\":\"own\"}"), call("Destroy", "{\"id\":\"own\"}"));
    assertThat(end.get(0).path("parameters").path("sandbox").path("state").asText()).isEqualTo("stopped");
    assertThat(end.get(1).path("error").asText()).isEqualTo("io.stockade.Supervisor.InvalidState");
    assertThat(end.get(1).path("parameters").path("current").asText()).isEqualTo("stopped");
    assertThat(end.get(2).path("parameters").path("sandbox").path("state").asText()).isEqualTo("destroyed");
  }

  @Test
  void writeConsoleIsStrictAndRefusedForProcessSandboxes() throws Exception {
    List<JsonNode> r = Varlink.asUser(alice, socket,
        call("Create", "{\"spec\":{\"kind\":\"process\",\"name\":\"typed\",\"command\":[\"/bin/sleep\",\"30\"]}}"),
        call("Start", "{\"id\":\"typed\"}"),
        call("WriteConsole", "{\"id\":\"typed\",\"data\":\"ls\\n\"}"),
        call("WriteConsole", "{\"id\":\"typed\",\"data\":\"ls\",\"extra\":1}"),
        call("WriteConsole", "{\"id\":\"typed\"}"),
        call("Destroy", "{\"id\":\"typed\"}"));
    assertThat(r.get(1).has("error")).as(r.get(1).toString()).isFalse();
    assertThat(r.get(2).path("error").asText()).isEqualTo("io.stockade.Supervisor.Unsupported");
    assertThat(r.get(3).path("error").asText()).isEqualTo("org.varlink.service.InvalidParameter");
    assertThat(r.get(4).path("parameters").path("parameter").asText()).isEqualTo("data");
    assertThat(r.get(5).has("error")).isFalse();
  }

  @Test
  void dataDisksAreParsedStrictly() throws Exception {
    String pre = "{\"spec\":{\"kind\":\"process\",\"command\":[\"/bin/sleep\",\"60\"],\"dataDisks\":";
    int held = lc.list(Fixtures.user(alice.uid())).size();
    List<JsonNode> r = Varlink.asUser(alice, socket,
        call("Create", pre + "[{\"sizeMiB\":0}]}}"),
        call("Create", pre + "[{\"size\":1}]}}"),
        call("Create", pre + "[{}]}}"),
        call("Create", pre + "{\"sizeMiB\":1}}}"),
        call("Create", pre + "[{\"sizeMiB\":5}]}}"));
    assertThat(r).allSatisfy(n -> assertThat(n.path("error").asText()).as(n.toString())
        .isEqualTo("org.varlink.service.InvalidParameter"));
    assertThat(r.stream().map(n -> n.path("parameters").path("parameter").asText()).toList()).containsExactly(
        "spec.dataDisks[0].sizeMiB", "spec.dataDisks[0].size", "spec.dataDisks[0].sizeMiB", "spec.dataDisks",
        "spec.dataDisks");
    assertThat(lc.list(Fixtures.user(alice.uid()))).hasSize(held);
  }

  @Test
  void pidsAndIoLimitsAreParsedStrictly() throws Exception {
    // (The policy's verdict on them is LimitsLifecycleTest's: this test's policy is a stand-in.)
    assertCreatesRefusedAsInvalid(Map.of(
        "\"pids\":-1", "spec.pids",
        "\"pids\":\"10\"", "spec.pids",
        "\"ioReadBytesPerSec\":2199023255552", "spec.ioReadBytesPerSec",
        "\"ioWriteBytesPerSec\":-5", "spec.ioWriteBytesPerSec"));
  }

  @Test
  void cpusAndNetworkRatesAreParsedStrictly() throws Exception {
    assertCreatesRefusedAsInvalid(Map.of(
        "\"cpus\":7", "spec.cpus",
        "\"cpus\":\"0;reboot\"", "spec.cpus",
        "\"cpus\":\"9000\"", "spec.cpus",
        "\"netBytesPerSec\":-1", "spec.netBytesPerSec",
        "\"network\":true,\"netPacketsPerSec\":10000001", "spec.netPacketsPerSec",
        "\"network\":true,\"netBytesPerSec\":10", "spec.netBytesPerSec",
        "\"openFiles\":100000", "spec.openFiles"));
  }

  /**
   * Each Create of a process sandbox with the spec fields in a key of {@code cases} is refused as
   * InvalidParameter naming its value's parameter, and nothing is created.
   */
  private void assertCreatesRefusedAsInvalid(Map<String, String> cases) throws Exception {
    String pre = "{\"spec\":{\"kind\":\"process\",\"command\":[\"/bin/sleep\",\"60\"],";
    int held = lc.list(Fixtures.user(alice.uid())).size();
    List<String> fields = List.copyOf(cases.keySet());
    List<JsonNode> r = Varlink.asUser(alice, socket,
        fields.stream().map(f -> call("Create", pre + f + "}}")).toArray(String[]::new));
    for (int i = 0; i < fields.size(); i++) {
      JsonNode n = r.get(i);
      assertThat(n.path("error").asText()).as(fields.get(i) + ": " + n).isEqualTo("org.varlink.service.InvalidParameter");
      assertThat(n.path("parameters").path("parameter").asText()).as(fields.get(i)).isEqualTo(cases.get(fields.get(i)));
    }
    assertThat(lc.list(Fixtures.user(alice.uid()))).hasSize(held);
  }

  @Test
  void quotaAndPolicyHold() throws Exception {
    String spec = "{\"spec\":{\"kind\":\"process\",\"command\":[\"/bin/sleep\",\"60\"]}}";
    List<JsonNode> r = Varlink.asUser(bob, socket,
        call("Create", spec), call("Create", spec), call("Create", spec),
        call("Create", "{\"spec\":{\"kind\":\"process\",\"command\":[\"/bin/sh\"]}}"),
        call("Create", "{\"spec\":{\"kind\":\"process\",\"command\":\"not a list\"}}"),
        call("Preflight", "{}"));
    assertThat(r.get(0).has("error")).isFalse();
    assertThat(r.get(1).has("error")).isFalse();
    assertThat(r.get(2).path("error").asText()).isEqualTo("io.stockade.Supervisor.QuotaExceeded");
    assertThat(r.get(3).path("error").asText()).isIn("io.stockade.Supervisor.QuotaExceeded", "io.stockade.Supervisor.PolicyDenied");
    assertThat(r.get(4).path("error").asText()).isEqualTo("org.varlink.service.InvalidParameter");
    assertThat(r.get(4).path("parameters").path("parameter").asText()).isEqualTo("spec.command");
    assertThat(r.get(5).path("error").asText()).isEqualTo("io.stockade.Supervisor.PermissionDenied");
    for (int i = 0; i < 2; i++) {
      Varlink.asUser(bob, socket, call("Destroy", "{\"id\":\"" + r.get(i).path("parameters").path("sandbox").path("id").asText() + "\"}"));
    }
    assertThat(lc.list(Fixtures.user(bob.uid()))).isEmpty();
  }

  @Test
  void twoHundredBadClientsLeaveTheServerServing() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      int n = i;
      fs.add(pool.submit(() -> {
        try (Varlink.Conn c = new Varlink.Conn(socket)) {
          switch (n % 5) {
            case 0 -> c.sendRaw(("{\"method\": [1,2,3]" + "\0").getBytes(StandardCharsets.UTF_8));
            case 1 -> { // oversized frame: the server answers once and closes
              byte[] big = new byte[70 * 1024];
              java.util.Arrays.fill(big, (byte) 'x');
              c.sendRaw(big);
            }
            case 2 -> c.sendRaw("{\"method\":\"io.stockade.Supervisor.Ping\"".getBytes(StandardCharsets.UTF_8)); // half a frame, then hang up
            case 3 -> { // random bytes
              byte[] junk = new byte[512];
              ThreadLocalRandom.current().nextBytes(junk);
              c.sendRaw(junk);
              c.sendRaw(new byte[] {0});
            }
            default -> c.send(call("Logs", "{\"id\":\"none\",\"tail\":-5}")); // call then hang up mid-call
          }
          if (n % 2 == 0) {
            c.read();
          }
        }
        return null;
      }));
    }
    for (Future<?> f : fs) {
      try {
        f.get();
      } catch (java.util.concurrent.ExecutionException e) {
        // a client whose connection the server closed first: expected for some of them
      }
    }
    pool.shutdown();
    try (Varlink.Conn c = new Varlink.Conn(socket)) {
      assertThat(c.call(call("Ping", "{}")).path("parameters").path("version").asText()).isEqualTo("test");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 0);
  }

  @Test
  void pingRoundTripFigure() throws Exception {
    try (Varlink.Conn c = new Varlink.Conn(socket)) {
      for (int i = 0; i < 200; i++) {
        c.call(call("Ping", "{}"));
      }
      int n = 2000;
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        assertThat(c.call(call("Ping", "{}")).has("parameters")).isTrue();
      }
      long us = (System.nanoTime() - t0) / 1000 / n;
      System.out.println("FIGURE Ping round trip over one connection: " + us + " us per call (" + n + " calls)");
    }
  }

  @Test
  void oversizedFrameGetsAnErrorThenClose() throws Exception {
    try (Varlink.Conn c = new Varlink.Conn(socket)) {
      byte[] big = new byte[65 * 1024];
      java.util.Arrays.fill(big, (byte) ' ');
      c.sendRaw(big);
      JsonNode r = c.read();
      assertThat(r.path("error").asText()).isEqualTo("io.stockade.Supervisor.InvalidRequest");
      assertThat(c.read()).isNull();
    }
  }

  @Test
  void streamsFollowAndEndWhenTheClientHangsUp() throws Exception {
    var aliceSubject = Fixtures.user(alice.uid());
    String id = lc.create(aliceSubject, Fixtures.process("ticker", "/bin/sh", "-c", "while true; do echo tick; sleep 0.1; done")).id();
    try (Varlink.Conn events = new Varlink.Conn(socket)) {
      events.send("{\"method\":\"io.stockade.Supervisor.Events\",\"parameters\":{},\"more\":true}");
      await().atMost(Duration.ofSeconds(5)).until(() -> lc.events().subscriberCountForTests() == 1);
      lc.start(aliceSubject, id);
      JsonNode e = events.read();
      assertThat(e.path("continues").asBoolean()).isTrue();
      assertThat(e.path("parameters").path("event").path("to").asText()).isEqualTo("starting");
    }
    try (Varlink.Conn logs = new Varlink.Conn(socket)) {
      logs.send("{\"method\":\"io.stockade.Supervisor.Logs\",\"parameters\":{\"id\":\"" + id + "\",\"tail\":1},\"more\":true}");
      int ticks = 0;
      while (ticks < 3) {
        JsonNode r = logs.read();
        assertThat(r.path("continues").asBoolean()).isTrue();
        if (r.path("parameters").path("data").asText().contains("tick")) {
          ticks++;
        }
      }
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 0);
    assertThat(lc.events().subscriberCountForTests()).isZero();
    lc.destroy(Fixtures.ROOT, id);
  }
}
