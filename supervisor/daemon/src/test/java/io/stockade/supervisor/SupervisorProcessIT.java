package io.stockade.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockade.supervisor.testing.DaemonProcess;
import io.stockade.supervisor.testing.Fixtures;
import io.stockade.supervisor.testing.TestUsers;
import io.stockade.supervisor.testing.Varlink;
import java.net.DatagramPacket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The packaged supervisor as its own process: SIGTERM drains 20 running sandboxes and exits 0,
 * kill -9 and restart reattaches to the survivors, systemd notification and socket activation.
 */
@Timeout(180)
class SupervisorProcessIT {
  private Path root;
  private final List<DaemonProcess> daemons = new ArrayList<>();
  private final List<Long> pids = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    Assumptions.assumeTrue(DaemonProcess.available(), "needs the shaded jar (run through mvn verify)");
    Assumptions.assumeTrue(TestUsers.available(), "needs root to run workloads as another uid");
    root = Fixtures.tempDir();
  }

  @AfterEach
  void tearDown() {
    daemons.forEach(DaemonProcess::close);
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    Fixtures.deleteTree(root);
  }

  private DaemonProcess daemon(String extra) throws Exception {
    DaemonProcess d = new DaemonProcess(root, extra);
    daemons.add(d);
    return d;
  }

  private String create(DaemonProcess d, String name, String... argv) throws Exception {
    StringBuilder cmd = new StringBuilder();
    for (String a : argv) {
      cmd.append(cmd.length() == 0 ? "" : ",").append('"').append(a.replace("\"", "\\\"")).append('"');
    }
    JsonNode r = d.call("Create", "{\"spec\":{\"kind\":\"process\",\"name\":\"" + name + "\",\"command\":[" + cmd + "]}}");
    assertThat(r.has("error")).as(r.toString()).isFalse();
    String id = r.path("parameters").path("sandbox").path("id").asText();
    JsonNode s = d.call("Start", "{\"id\":\"" + id + "\"}");
    assertThat(s.path("parameters").path("sandbox").path("state").asText()).as(s.toString()).isEqualTo("running");
    long pid = d.stateFile(id).path("driverState").path("pid").asLong();
    pids.add(pid);
    return id;
  }

  private static String receive(AFUNIXDatagramSocket s) throws Exception {
    DatagramPacket p = new DatagramPacket(new byte[4096], 4096);
    s.receive(p);
    return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
  }

  @Test
  void sigtermDrainsTwentySandboxesAndNotifiesSystemd() throws Exception {
    Path notify = root.resolve("notify.sock");
    try (AFUNIXDatagramSocket systemd = AFUNIXDatagramSocket.newInstance()) {
      systemd.bind(AFUNIXSocketAddress.of(notify));
      systemd.setSoTimeout(30_000);
      DaemonProcess d = daemon("").start(Map.of("NOTIFY_SOCKET", notify.toString()));
      assertThat(receive(systemd)).startsWith("READY=1\nSTATUS=serving on " + d.socket);
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        ids.add(create(d, "s" + i, "/bin/sleep", "300"));
      }
      assertThat(d.call("List", "{}").path("parameters").path("sandboxes")).hasSize(20);
      long t0 = System.nanoTime();
      assertThat(d.signalAndWait("TERM", Duration.ofSeconds(60))).isZero();
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(receive(systemd)).startsWith("STOPPING=1");
      for (long pid : pids) {
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid " + pid).isFalse();
      }
      for (String id : ids) {
        assertThat(d.stateFile(id).path("state").asText()).isEqualTo("STOPPED");
        assertThat(d.stateFile(id).path("exit").path("reason").asText()).contains("supervisor shutdown");
      }
      assertThat(d.socket).doesNotExist();
      System.out.println("FIGURE drain of 20 process sandboxes: " + ms + " ms from SIGTERM to exit 0");
    }
  }

  @Test
  void aSecondSigtermHurriesTheDrainToKill() throws Exception {
    DaemonProcess d = daemon(",\"stop\":{\"gracefulSeconds\":60,\"termSeconds\":60,\"drainSeconds\":120}").start(Map.of());
    String id = create(d, "stubborn", "/bin/sh", "-c", "trap '' TERM; echo ignoring TERM; while true; do sleep 1; done");
    long pid = d.stateFile(id).path("driverState").path("pid").asLong();
    await().atMost(Duration.ofSeconds(5)).until(() -> d.call("Logs", "{\"id\":\"" + id + "\"}").toString().contains("ignoring TERM"));
    new ProcessBuilder("kill", "-TERM", Long.toString(d.process().pid())).start().waitFor();
    assertThat(d.process().waitFor(2, TimeUnit.SECONDS)).as("still draining: the workload ignores SIGTERM").isFalse();
    long t0 = System.nanoTime();
    assertThat(d.signalAndWait("TERM", Duration.ofSeconds(20))).isZero();
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(d.stateFile(id).path("exit").path("step").asText()).isEqualTo("kill");
  }

  @Test
  void killNineThenRestartReattachesSurvivorsAndCleansUpTheDead() throws Exception {
    DaemonProcess d = daemon("").start(Map.of());
    String a = create(d, "a", "/bin/sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done");
    String b = create(d, "b", "/bin/sleep", "300");
    String c = create(d, "c", "/bin/sleep", "300");
    long pidA = d.stateFile(a).path("driverState").path("pid").asLong();
    long pidB = d.stateFile(b).path("driverState").path("pid").asLong();
    long pidC = d.stateFile(c).path("driverState").path("pid").asLong();
    d.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: no drain, no cleanup
    assertThat(ProcessHandle.of(pidA).map(ProcessHandle::isAlive)).contains(true);
    ProcessHandle.of(pidC).orElseThrow().destroyForcibly(); // dies while no supervisor runs
    await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.of(pidC).map(h -> !h.isAlive()).orElse(true));

    long t0 = System.nanoTime();
    DaemonProcess d2 = daemon("").start(Map.of());
    System.out.println("FIGURE restart to serving with 3 state files: " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms (JVM start included)");
    JsonNode ga = d2.call("Get", "{\"id\":\"" + a + "\"}").path("parameters").path("sandbox");
    assertThat(ga.path("state").asText()).isEqualTo("running");
    assertThat(ga.path("reason").asText()).contains("reattached");
    assertThat(d2.stateFile(a).path("driverState").path("pid").asLong()).isEqualTo(pidA);
    assertThat(d2.call("Get", "{\"id\":\"" + b + "\"}").path("parameters").path("sandbox").path("state").asText()).isEqualTo("running");
    JsonNode gc = d2.call("Get", "{\"id\":\"" + c + "\"}").path("parameters").path("sandbox");
    assertThat(gc.path("state").asText()).isEqualTo("failed");
    assertThat(gc.path("reason").asText()).contains("gone");
    // the console keeps flowing after the restart
    int before = lastTick(d2, a);
    await().atMost(Duration.ofSeconds(5)).until(() -> lastTick(d2, a) > before);
    // and the reattached workloads are still under control
    assertThat(d2.call("Stop", "{\"id\":\"" + b + "\"}").path("parameters").path("sandbox").path("state").asText()).isEqualTo("stopped");
    assertThat(ProcessHandle.of(pidB).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(d2.signalAndWait("TERM", Duration.ofSeconds(30))).isZero();
    assertThat(ProcessHandle.of(pidA).map(ProcessHandle::isAlive).orElse(false)).isFalse();
  }

  private static int lastTick(DaemonProcess d, String id) throws Exception {
    String data = d.call("Logs", "{\"id\":\"" + id + "\",\"tail\":1}").path("parameters").path("data").asText().trim();
    return data.startsWith("tick ") ? Integer.parseInt(data.substring(5)) : -1;
  }

  @Test
  void sighupReloadsPolicyAndABrokenOneKeepsThePrevious() throws Exception {
    DaemonProcess d = daemon("").start(Map.of());
    Path policy = d.root.resolve("policy/10-test.json");
    Files.writeString(policy, "{\"version\": 1, \"rules\": [{\"uids\": [4242], \"grant\": {\"kinds\": [\"process\"], \"commands\": [\"/bin/sh\"], \"maxSandboxes\": 1, \"maxVcpus\": 1, \"maxMemoryMiB\": 256}}]}");
    new ProcessBuilder("kill", "-HUP", Long.toString(d.process().pid())).start().waitFor();
    await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(d.log).contains("policy reloaded"));
    Files.writeString(policy, "{\"version\": 1, \"rules\": [{\"uids\": [4242], \"grant\": {\"kinds\": [\"nonsense\"]}}]}");
    new ProcessBuilder("kill", "-HUP", Long.toString(d.process().pid())).start().waitFor();
    await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(d.log).contains("previous policy stays in force"));
    assertThat(Files.readString(d.log)).contains("10-test.json");
    assertThat(d.call("Ping", "{}").has("parameters")).isTrue();
    assertThat(d.signalAndWait("TERM", Duration.ofSeconds(30))).isZero();
  }

  @Test
  void socketActivationUsesTheInheritedSocket() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/systemd-socket-activate")), "systemd-socket-activate is not installed");
    DaemonProcess d = daemon("");
    Path activated = root.resolve("activated.sock");
    List<String> cmd = new ArrayList<>(List.of("systemd-socket-activate", "-l", activated.toString()));
    cmd.addAll(DaemonProcess.javaCommand("run", "--config", d.config.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(d.log.toFile())).start();
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(activated));
      // the first connection starts the supervisor; it answers on the socket it inherited
      List<JsonNode> r = Varlink.asRootSocat(activated, Varlink.call("Ping", "{}"));
      assertThat(r).hasSize(1);
      assertThat(r.get(0).path("parameters").path("protocolVersion").asInt()).isEqualTo(1);
      assertThat(d.socket).doesNotExist(); // it did not bind its configured path
      new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).isZero();
      assertThat(Files.readString(d.log)).contains("socket-activated fd 3");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void commandLineErrorsAndConfigPrint() throws Exception {
    Path bad = root.resolve("bad.json");
    Files.writeString(bad, "{\"socketPath\": \"/x.sock\", \"monitor\": {\"listn\": \"127.0.0.1:1\"}}");
    Process p = new ProcessBuilder(DaemonProcess.javaCommand("run", "--config", bad.toString())).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).isEqualTo(78);
    assertThat(out).contains(bad.toString()).contains("/monitor/listn");
    ProcessBuilder pb = new ProcessBuilder(DaemonProcess.javaCommand("config", "--print", "--config", bad.toString().replace("bad", "none")));
    Files.writeString(root.resolve("none.json"), "{\"stop\": {\"drainSeconds\": 9}}");
    pb.environment().put("STOCKADE_SOCKET", "/tmp/stk-dm-env.sock");
    Process q = pb.redirectErrorStream(true).start();
    String printed = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(q.waitFor()).isZero();
    assertThat(printed).containsPattern("socketPath\\s+= \"/tmp/stk-dm-env.sock\"\\s+# env STOCKADE_SOCKET");
    assertThat(printed).containsPattern("stop.drainSeconds\\s+= 9\\s+# file ");
    assertThat(printed).containsPattern("stateDir\\s+= \"/var/lib/stockade/state\"\\s+# default");
  }
}
