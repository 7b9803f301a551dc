package io.stockade.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stockade.client.varlink.VarlinkCall;
import io.stockade.client.varlink.VarlinkService;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class StockadeClientTest {
  private ScriptedVarlinkServer server;

  @BeforeEach
  void startServer() throws Exception {
    server = ScriptedVarlinkServer.start();
  }

  @AfterEach
  void stopServer() throws Exception {
    server.close();
    assertThat(server.handlerFailures()).isEmpty();
  }

  private StockadeClient client() throws StockadeException {
    return StockadeClient.connect(server.socket(), StockadeClient.Options.defaults().withCallTimeout(Duration.ofSeconds(10)));
  }

  @Test
  void pingSendsTheVarlinkCallAndDecodesTheReply() throws Exception {
    server.replies("Ping", new Replies.Ping("0.1.0", 1));
    Replies.Ping ping = client().ping();
    assertThat(ping).isEqualTo(new Replies.Ping("0.1.0", 1));
    VarlinkCall call = server.lastCall();
    assertThat(call.method()).isEqualTo("io.stockade.Supervisor.Ping");
    assertThat(call.parameters()).isEmpty();
    assertThat(call.more()).isFalse();
  }

  @Test
  void createSendsTheSpecAndReturnsTheSandbox() throws Exception {
    server.replies("Create", new Replies.Sandbox(ScriptedVarlinkServer.sandbox("sb-1", SandboxState.CREATED)));
    SandboxSpec spec = SandboxSpec.vm(SandboxKind.QEMU, "default").withName("web").withResources(2, 512);
    SandboxInfo info = client().create(spec);
    assertThat(info.id()).isEqualTo("sb-1");
    assertThat(info.state()).isEqualTo(SandboxState.CREATED);
    assertThat(info.createdAt()).isEqualTo(Instant.parse("2026-11-26T12:00:00Z"));
    assertThat(server.lastCall().parameters().get("spec").get("vcpus").asInt()).isEqualTo(2);
    assertThat(server.lastCall().parameters().get("spec").get("kind").asText()).isEqualTo("qemu");
  }

  @Test
  void everyMethodReachesTheServerUnderItsWireName() throws Exception {
    SandboxInfo sb = ScriptedVarlinkServer.sandbox("a", SandboxState.RUNNING);
    for (String m : List.of("Start", "Stop", "Kill", "Destroy", "Get", "Pause", "Resume", "Restore", "UpdateEgress")) {
      server.replies(m, new Replies.Sandbox(sb));
    }
    server.replies("List", new Replies.SandboxList(List.of(sb)));
    server.replies("Preflight", new Replies.Preflight(List.of(new PreflightCheck("kvm", CheckStatus.WARN, "hangs", "use qemu"))));
    SnapshotInfo snap = new SnapshotInfo("sn-1", "s", "a", SandboxKind.QEMU, "default", 0, 1, 256, 1024, Instant.EPOCH);
    server.replies("Snapshot", new Replies.Snapshot(snap));
    server.replies("ListSnapshots", new Replies.SnapshotList(List.of(snap)));
    server.replies("Logs", new Replies.Logs("hello\n"));
    StockadeClient c = client();
    c.start("a");
    c.stop("a", Duration.ofSeconds(3), false);
    assertThat(server.lastCall().parameters().toString()).isEqualTo("{\"id\":\"a\",\"timeoutSeconds\":3,\"graceful\":false}");
    c.stop("a");
    assertThat(server.lastCall().parameters().toString()).as("server's default timeout").isEqualTo("{\"id\":\"a\",\"graceful\":true}");
    c.stop("a", Duration.ofMillis(1500), true);
    assertThat(server.lastCall().parameters().get("timeoutSeconds").asInt()).as("rounded up").isEqualTo(2);
    c.kill("a");
    c.destroy("a");
    c.get("a");
    c.pause("a");
    c.resume("a");
    assertThat(c.restore("sn-1", null).id()).isEqualTo("a");
    c.updateEgress("a", List.of(Egress.parse("10.0.0.0/8:tcp:443")), null);
    assertThat(server.lastCall().parameters().has("dnsNames")).isFalse();
    assertThat(c.list()).containsExactly(sb);
    assertThat(c.preflight()).extracting(PreflightCheck::status).containsExactly(CheckStatus.WARN);
    assertThat(c.snapshot("a", "s")).isEqualTo(snap);
    assertThat(c.snapshots(null)).containsExactly(snap);
    assertThat(c.logs("a", 5)).isEqualTo("hello\n");
    assertThat(server.calls()).extracting(VarlinkCall::methodName).containsExactly(
        "Start", "Stop", "Stop", "Stop", "Kill", "Destroy", "Get", "Pause", "Resume", "Restore", "UpdateEgress", "List",
        "Preflight", "Snapshot", "ListSnapshots", "Logs");
  }

  @Test
  void errorsArriveAsTheirOwnExceptionTypes() throws Exception {
    server.fails("Get", new NotFoundException("nope"));
    server.fails("Create", new PolicyDeniedException("image 'evil' is not in your grant"));
    server.fails("Pause", new InvalidStateException("a", SandboxState.STOPPED, "pause"));
    server.fails("Start", new LaunchFailedException("a", "boot", "no readiness line within 60s", "tsc: Unable to calibrate against PIT"));
    server.fails("Kill", new PermissionDeniedException("not your sandbox"));
    server.fails("Destroy", new QuotaExceededException("5 sandboxes"));
    server.on("List", (call, ex) -> ex.raw("{\"error\":\"io.stockade.Supervisor.SomethingNew\",\"parameters\":{\"x\":1}}\0".getBytes(StandardCharsets.UTF_8)));
    StockadeClient c = client();
    assertThatThrownBy(() -> c.get("nope"))
        .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.id()).isEqualTo("nope"))
        .hasMessageContaining("nope");
    assertThatThrownBy(() -> c.create(SandboxSpec.vm(SandboxKind.QEMU, "evil")))
        .isInstanceOfSatisfying(PolicyDeniedException.class, e -> assertThat(e.reason()).contains("evil"));
    assertThatThrownBy(() -> c.pause("a"))
        .isInstanceOfSatisfying(InvalidStateException.class, e -> {
          assertThat(e.current()).isEqualTo(SandboxState.STOPPED);
          assertThat(e.wanted()).isEqualTo("pause");
        });
    assertThatThrownBy(() -> c.start("a"))
        .isInstanceOfSatisfying(LaunchFailedException.class, e -> {
          assertThat(e.step()).isEqualTo("boot");
          assertThat(e.consoleTail()).contains("calibrate");
        });
    assertThatThrownBy(() -> c.kill("a")).isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> c.destroy("a")).isInstanceOf(QuotaExceededException.class);
    assertThatThrownBy(c::list)
        .isInstanceOfSatisfying(UnknownErrorException.class, e -> {
          assertThat(e.errorName()).isEqualTo("io.stockade.Supervisor.SomethingNew");
          assertThat(e.parameters().get("x").asInt()).isEqualTo(1);
        });
    // Unscripted: the server answers MethodNotFound like a real older server would.
    assertThatThrownBy(() -> c.resume("a"))
        .isInstanceOfSatisfying(MethodNotFoundException.class, e -> assertThat(e.method()).isEqualTo("io.stockade.Supervisor.Resume"));
  }

  @Test
  void aServerThatNeverAnswersTimesOutAndTheConnectionIsClosed() throws Exception {
    AtomicBoolean clientHungUp = new AtomicBoolean();
    CountDownLatch handled = new CountDownLatch(1);
    server.on("Ping", (call, ex) -> {
      clientHungUp.set(ex.awaitClientHangUp());
      handled.countDown();
    });
    StockadeClient c = client().withTimeout(Duration.ofMillis(300));
    long t0 = System.nanoTime();
    assertThatThrownBy(c::ping)
        .isInstanceOfSatisfying(CallTimeoutException.class, e -> assertThat(e.timeout()).isEqualTo(Duration.ofMillis(300)))
        .hasMessageContaining("300 ms");
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertThat(ms).isBetween(250L, 5000L);
    assertThat(handled.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(clientHungUp).as("client closed the timed-out connection").isTrue();
  }

  @Test
  void serverHangingUpMidReplyIsAProtocolViolation() throws Exception {
    server.on("Get", (call, ex) -> {
      ex.raw("{\"parameters\":{\"sandbox\":{\"id\":".getBytes(StandardCharsets.UTF_8));
      ex.hangUp();
    });
    server.on("Kill", (call, ex) -> ex.hangUp());
    StockadeClient c = client();
    assertThatThrownBy(() -> c.get("a"))
        .isInstanceOf(ProtocolViolationException.class)
        .hasMessageContaining("hung up in the middle of a reply");
    assertThatThrownBy(() -> c.kill("a"))
        .isInstanceOf(ProtocolViolationException.class)
        .hasMessageContaining("without replying");
  }

  @Test
  void garbageAndWrongShapesAreProtocolViolations() throws Exception {
    server.on("Get", (call, ex) -> ex.raw("not json\0".getBytes(StandardCharsets.UTF_8)));
    server.on("Kill", (call, ex) -> ex.raw("{\"parameters\":{\"sandbox\":42}}\0".getBytes(StandardCharsets.UTF_8)));
    server.on("Start", (call, ex) -> ex.continuing(new Replies.Sandbox(ScriptedVarlinkServer.sandbox("a", SandboxState.RUNNING))));
    StockadeClient c = client();
    assertThatThrownBy(() -> c.get("a")).isInstanceOf(ProtocolViolationException.class).hasMessageContaining("malformed reply");
    assertThatThrownBy(() -> c.kill("a")).isInstanceOf(ProtocolViolationException.class).hasMessageContaining("does not fit");
    assertThatThrownBy(() -> c.start("a")).isInstanceOf(ProtocolViolationException.class).hasMessageContaining("continues");
  }

  @Test
  void oversizedReplyIsRefusedAtTheConfiguredLimit() throws Exception {
    server.replies("Logs", new Replies.Logs("x".repeat(10_000)));
    StockadeClient c = StockadeClient.connect(server.socket(), StockadeClient.Options.defaults().withCallTimeout(Duration.ofSeconds(5)).withMaxFrameBytes(4096));
    assertThatThrownBy(() -> c.logs("a", 1)).isInstanceOf(ProtocolViolationException.class).hasMessageContaining("4096");
  }

  @Test
  void newerServerReplyFieldsAreIgnored() throws Exception {
    server.on("Ping", (call, ex) -> ex.raw("{\"parameters\":{\"version\":\"9\",\"protocolVersion\":1,\"features\":{}}}\0".getBytes(StandardCharsets.UTF_8)));
    assertThat(client().ping()).isEqualTo(new Replies.Ping("9", 1));
  }

  @Test
  void followLogsStreamsChunksUntilTheLastReply() throws Exception {
    server.on("Logs", (call, ex) -> {
      ex.continuing(new Replies.Logs("line 1\n"));
      ex.continuing(new Replies.Logs("line 2\n"));
      ex.reply(new Replies.Logs("bye\n"));
    });
    List<String> chunks = new ArrayList<>();
    try (ReplyStream<String> logs = client().followLogs("a", 10)) {
      for (String s; (s = logs.next()) != null; ) {
        chunks.add(s);
      }
      assertThat(logs.isEnded()).isTrue();
    }
    assertThat(chunks).containsExactly("line 1\n", "line 2\n", "bye\n");
    assertThat(server.lastCall().more()).isTrue();
    assertThat(server.lastCall().parameters().get("tail").asInt()).isEqualTo(10);
  }

  @Test
  void streamEndedByAnErrorThrowsIt() throws Exception {
    server.on("Logs", (call, ex) -> {
      ex.continuing(new Replies.Logs("a"));
      ex.error(new NotFoundException("a"));
    });
    try (ReplyStream<String> logs = client().followLogs("a", 0)) {
      assertThat(logs.next()).isEqualTo("a");
      assertThatThrownBy(logs::next).isInstanceOf(NotFoundException.class);
      assertThat(logs.next()).isNull();
    }
  }

  @Test
  void closingAStreamFromAnotherThreadUnblocksItAndTheServerSeesTheHangUp() throws Exception {
    CountDownLatch serverSawHangUp = new CountDownLatch(1);
    server.on("Events", (call, ex) -> {
      ex.continuing(new Replies.Event(new SandboxEvent("a", SandboxState.CREATED, SandboxState.STARTING, null, Instant.EPOCH)));
      if (ex.awaitClientHangUp()) {
        serverSawHangUp.countDown();
      }
    });
    StockadeClient c = client().withTimeout(Duration.ofMillis(500));
    ReplyStream<SandboxEvent> events = c.events(null);
    assertThat(events.next().to()).isEqualTo(SandboxState.STARTING);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      // The second next() waits past the call timeout: only the first reply is bounded by it.
      Future<SandboxEvent> blocked = pool.submit(events::next);
      Thread.sleep(800);
      assertThat(blocked.isDone()).isFalse();
      c.close();
      assertThat(blocked.get(5, TimeUnit.SECONDS)).isNull();
    } finally {
      pool.shutdownNow();
    }
    assertThat(serverSawHangUp.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(server.lastCall().more()).isTrue();
    assertThat(server.lastCall().parameters().has("id")).isFalse();
  }

  @Test
  void anEventsStreamWaitsPastTheCallTimeoutForItsFirstEvent() throws Exception {
    server.on("Events", (call, ex) -> {
      Thread.sleep(700);
      ex.reply(new Replies.Event(new SandboxEvent("a", SandboxState.RUNNING, SandboxState.STOPPED, "guest powered off", Instant.EPOCH)));
    });
    try (ReplyStream<SandboxEvent> events = client().withTimeout(Duration.ofMillis(200)).events("a")) {
      SandboxEvent e = events.next();
      assertThat(e.reason()).isEqualTo("guest powered off");
      assertThat(events.next()).isNull();
    }
    assertThat(server.lastCall().parameters().get("id").asText()).isEqualTo("a");
  }

  @Test
  void theFirstLogsReplyIsBoundByTheCallTimeout() throws Exception {
    server.on("Logs", (call, ex) -> ex.awaitClientHangUp());
    try (ReplyStream<String> logs = client().withTimeout(Duration.ofMillis(200)).followLogs("a", 1)) {
      assertThatThrownBy(logs::next).isInstanceOf(CallTimeoutException.class);
      assertThat(logs.isEnded()).isTrue();
    }
  }

  @Test
  void concurrentCallsEachGetTheirOwnReply() throws Exception {
    server.on("Get", (call, ex) -> ex.reply(new Replies.Sandbox(
        ScriptedVarlinkServer.sandbox(call.parameters().get("id").asText(), SandboxState.RUNNING))));
    StockadeClient c = client();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        String id = "sb-" + i;
        results.add(pool.submit(() -> c.get(id).id()));
      }
      for (int i = 0; i < 200; i++) {
        assertThat(results.get(i).get(20, TimeUnit.SECONDS)).isEqualTo("sb-" + i);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void standardServiceMethodsWork() throws Exception {
    server.replies(VarlinkService.GET_INFO, new VarlinkService.ServiceInfo("Stockade", "stockade-supervisor", "0.1.0", "", List.of("io.stockade.Supervisor", "org.varlink.service")));
    StockadeClient c = client();
    assertThat(c.info().interfaces()).contains("io.stockade.Supervisor");
    assertThat(c.interfaceDescription("io.stockade.Supervisor")).startsWith("# Stockade supervisor");
    assertThat(server.lastCall().parameters().get("interface").asText()).isEqualTo("io.stockade.Supervisor");
  }

  @Test
  void connectProbesTheSocketUnlessToldNotTo() throws Exception {
    server.replies("Ping", new Replies.Ping("0.1.0", 1));
    StockadeClient probing = StockadeClient.connect(server.socket());
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> server.connectionCount() == 1);
    StockadeClient lazy = StockadeClient.connect(server.socket(), StockadeClient.Options.defaults().withProbeOnConnect(false));
    lazy.ping();
    probing.ping();
    assertThat(server.connectionCount()).isEqualTo(3);
    assertThat(server.calls()).hasSize(2);
    StockadeClient missing = StockadeClient.connect(server.socket().resolveSibling("gone.sock"),
        StockadeClient.Options.defaults().withProbeOnConnect(false));
    assertThatThrownBy(missing::ping).isInstanceOf(ConnectionFailedException.class);
  }

  @Test
  void connectingToAMissingSocketSaysWhatToCheck() throws Exception {
    Path missing = server.socket().resolveSibling("absent.sock");
    assertThatThrownBy(() -> StockadeClient.connect(missing))
        .isInstanceOfSatisfying(ConnectionFailedException.class, e -> {
          assertThat(e.socket()).isEqualTo(missing);
          assertThat(e.isRemote()).isFalse();
        })
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("STOCKADE_SOCKET");
  }

  @Test
  void connectingToADeadSocketSaysNobodyListens() throws Exception {
    Path dead = server.socket().resolveSibling("dead.sock");
    try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      s.bind(UnixDomainSocketAddress.of(dead));
    }
    try {
      assertThat(dead).exists();
      assertThatThrownBy(() -> StockadeClient.connect(dead))
          .isInstanceOf(ConnectionFailedException.class)
          .hasMessageContaining("nobody listens");
    } finally {
      Files.deleteIfExists(dead);
    }
  }
}
