package io.stockade.supervisor;

import static io.stockade.supervisor.testing.Varlink.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockade.supervisor.testing.Fixtures;
import io.stockade.supervisor.testing.TestUsers;
import io.stockade.supervisor.testing.Varlink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The production wiring: `java -jar stockade-supervisor.jar run` with the real jail launcher and
 * process driver, the real policy loader, networking off (nothing is set up on the host), and an
 * unprivileged client whose policy grant comes from a real policy file.
 */
@Timeout(120)
class RealWiringIT {
  private Path root;
  private TestUsers users;
  private Process daemon;

  @BeforeEach
  void setUp() throws Exception {
    String jar = System.getProperty("stockade.supervisorJar");
    Assumptions.assumeTrue(jar != null && Files.exists(Path.of(jar)), "needs the shaded jar (run through mvn verify)");
    Assumptions.assumeTrue(TestUsers.available(), "needs root and throwaway users");
    root = Fixtures.tempDir();
    users = TestUsers.create();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (daemon != null && daemon.isAlive()) {
      new ProcessBuilder("kill", "-TERM", Long.toString(daemon.pid())).start().waitFor();
      if (!daemon.waitFor(40, TimeUnit.SECONDS)) {
        daemon.destroyForcibly();
      }
    }
    if (users != null) {
      users.close();
    }
    Fixtures.deleteTree(root);
  }

  @Test
  void jailedProcessSandboxForAnUnprivilegedUser() throws Exception {
    TestUsers.User alice = users.add();
    Files.createDirectories(root.resolve("policy"));
    Files.writeString(root.resolve("policy/10-alice.json"), "{\"version\": 1, \"rules\": [{\"users\": [\"" + alice.name()
        + "\"], \"grant\": {\"kinds\": [\"process\"], \"commands\": [\"/bin/sh\"], \"maxSandboxes\": 1, \"maxVcpus\": 1, \"maxMemoryMiB\": 256}}]}");
    int uidBase = 3_500_000 + 256 * ThreadLocalRandom.current().nextInt(1000);
    Path socket = root.resolve("run/stockade.sock");
    Path config = root.resolve("stockade.json");
    Files.writeString(config, "{\"stateDir\":\"" + root.resolve("state") + "\",\"sandboxesDir\":\"" + root.resolve("sandboxes")
        + "\",\"snapshotsDir\":\"" + root.resolve("snapshots") + "\",\"jailsDir\":\"" + root.resolve("jails")
        + "\",\"imageDir\":\"" + root.resolve("images") + "\",\"runDir\":\"" + root.resolve("run")
        + "\",\"socketPath\":\"" + socket + "\",\"socketGroup\":\"" + users.group + "\",\"policyDir\":\"" + root.resolve("policy")
        + "\",\"uidRange\":{\"first\":" + uidBase + ",\"count\":256},\"network\":{\"enabled\":false}"
        + ",\"stop\":{\"gracefulSeconds\":1,\"termSeconds\":1,\"drainSeconds\":10}}");
    daemon = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        System.getProperty("stockade.supervisorJar"), "run", "--config", config.toString())
        .redirectErrorStream(true).redirectOutput(root.resolve("supervisor.log").toFile()).start();
    awaitServing(daemon, socket, root.resolve("supervisor.log"));

    try (Varlink.Conn rootConn = new Varlink.Conn(socket)) {
      JsonNode pre = rootConn.call(call("Preflight", "{}"));
      assertThat(pre.path("parameters").path("checks").size()).as(pre.toString()).isPositive();
      assertThat(pre.path("parameters").path("checks").get(0).has("status")).isTrue();
      JsonNode idl = rootConn.call("{\"method\":\"org.varlink.service.GetInterfaceDescription\",\"parameters\":{\"interface\":\"io.stockade.Supervisor\"}}");
      assertThat(idl.path("parameters").path("description").asText()).contains("method UpdateEgress");
    }
    assertThat(Varlink.asUser(alice, socket, call("Preflight", "{}")).get(0).path("error").asText())
        .isEqualTo("io.stockade.Supervisor.PermissionDenied");
    long t0 = System.nanoTime();
    List<JsonNode> r = Varlink.asUser(alice, socket,
        call("Create", "{\"spec\":{\"kind\":\"process\",\"name\":\"j\",\"command\":[\"/bin/sh\",\"-c\",\"echo hello from a jailed process; id -u; sleep 30\"]}}"),
        call("Start", "{\"id\":\"j\"}"),
        call("Create", "{\"spec\":{\"kind\":\"process\",\"command\":[\"/bin/sh\"]}}"));
    System.out.println("FIGURE Create+Start of a jailed process sandbox through socat as a user: "
        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms (one socat process, three calls)");
    assertThat(r.get(0).has("error")).as(r.get(0).toString()).isFalse();
    assertThat(r.get(1).path("parameters").path("sandbox").path("state").asText()).as(r.get(1).toString()).isEqualTo("running");
    assertThat(r.get(2).path("error").asText()).as(r.get(2).toString()).isEqualTo("io.stockade.Supervisor.QuotaExceeded");
    await().atMost(Duration.ofSeconds(10)).until(() -> Varlink.asUser(alice, socket, call("Logs", "{\"id\":\"j\"}"))
        .get(0).path("parameters").path("data").asText().contains("hello from a jailed process"));
    String data = Varlink.asUser(alice, socket, call("Logs", "{\"id\":\"j\"}")).get(0).path("parameters").path("data").asText();
    int workloadUid = Integer.parseInt(data.lines().skip(1).findFirst().orElseThrow().trim());
    assertThat(workloadUid).isBetween(uidBase, uidBase + 255);
    JsonNode get = Varlink.asUser(alice, socket, call("Get", "{\"id\":\"j\"}")).get(0).path("parameters").path("sandbox");
    assertThat(get.path("stats").path("memoryBytes").asLong()).isPositive();
    List<JsonNode> end = Varlink.asUser(alice, socket, call("Destroy", "{\"id\":\"j\"}"));
    assertThat(end.get(0).path("parameters").path("sandbox").path("state").asText()).isEqualTo("destroyed");
    assertThat(root.resolve("jails").toFile().list()).isNullOrEmpty();

    // A jail whose state file is lost while the supervisor is down is an orphan: the next start
    // kills and removes it.
    List<JsonNode> o = Varlink.asUser(alice, socket,
        call("Create", "{\"spec\":{\"kind\":\"process\",\"name\":\"orphan\",\"command\":[\"/bin/sh\",\"-c\",\"sleep 300\"]}}"),
        call("Start", "{\"id\":\"orphan\"}"));
    String orphan = o.get(0).path("parameters").path("sandbox").path("id").asText();
    long pid = new com.fasterxml.jackson.databind.ObjectMapper().readTree(root.resolve("state/sandboxes/" + orphan + ".json").toFile())
        .path("driverState").path("pid").asLong();
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);
    daemon.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    Files.delete(root.resolve("state/sandboxes/" + orphan + ".json"));
    daemon = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        System.getProperty("stockade.supervisorJar"), "run", "--config", config.toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("supervisor.log").toFile())).start();
    await().atMost(Duration.ofSeconds(40)).until(() -> read(root.resolve("supervisor.log")).contains("orphaned jails") || !daemon.isAlive());
    assertThat(read(root.resolve("supervisor.log"))).contains(orphan);
    await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
    assertThat(root.resolve("jails/" + orphan)).doesNotExist();
  }

  @Test
  void selftestRunsTheJailsHostileProbe() throws Exception {
    Path config = root.resolve("selftest.json");
    int uidBase = 3_600_000 + 256 * ThreadLocalRandom.current().nextInt(1000);
    Files.writeString(config, "{\"stateDir\":\"" + root.resolve("state") + "\",\"jailsDir\":\"" + root.resolve("jails")
        + "\",\"uidRange\":{\"first\":" + uidBase + ",\"count\":64}}");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        System.getProperty("stockade.supervisorJar"), "selftest", "--config", config.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("selftest: all checks passed").contains("memory_hog");
  }

  @Test
  void networkAttachEgressUpdateAndCleanShutdown() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ip")) && Files.isExecutable(Path.of("/usr/sbin/nft")), "needs ip and nft");
    String r = TestUsers.random().substring(0, 5);
    String ns = "stk-dm-h" + r;
    String prefix = "stkd" + r; // at most 9 characters; "stk" so leftovers are recognisable
    TestUsers.run("ip", "netns", "add", ns); // the "host" side lives in a namespace of our own
    try {
      Path socket = root.resolve("net.sock");
      Path config = root.resolve("net.json");
      Files.writeString(config, "{\"stateDir\":\"" + root.resolve("nstate") + "\",\"sandboxesDir\":\"" + root.resolve("nsb")
          + "\",\"snapshotsDir\":\"" + root.resolve("nsnap") + "\",\"jailsDir\":\"" + root.resolve("njails")
          + "\",\"imageDir\":\"" + root.resolve("nimages") + "\",\"socketPath\":\"" + socket
          + "\",\"policyDir\":\"" + root.resolve("npolicy") + "\",\"uidRange\":{\"first\":3950000,\"count\":64}"
          + ",\"stop\":{\"gracefulSeconds\":1,\"termSeconds\":1,\"drainSeconds\":10}"
          + ",\"network\":{\"hostNetns\":\"/run/netns/" + ns + "\",\"namePrefix\":\"" + prefix + "\",\"hostTable\":\"stkdm" + r
          + "\",\"addressPool\":\"10.241.0.0/16\"}}");
      daemon = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
          System.getProperty("stockade.supervisorJar"), "run", "--config", config.toString())
          .redirectErrorStream(true).redirectOutput(root.resolve("net.log").toFile()).start();
      awaitServing(daemon, socket, root.resolve("net.log"));
      try (Varlink.Conn c = new Varlink.Conn(socket)) {
        JsonNode created = c.call(call("Create", "{\"spec\":{\"kind\":\"process\",\"name\":\"n\",\"network\":true,"
            + "\"command\":[\"/bin/sh\",\"-c\",\"sleep 300\"],"
            + "\"egress\":[{\"cidr\":\"192.0.2.0/24\",\"protocol\":\"tcp\",\"portFrom\":443,\"portTo\":443}]}}"));
        JsonNode sb = created.path("parameters").path("sandbox");
        assertThat(sb.path("network").path("guestAddress").asText()).as(() -> created + read(root.resolve("net.log"))).startsWith("10.241.");
        String id = sb.path("id").asText();
        assertThat(c.call(call("Start", "{\"id\":\"n\"}")).path("parameters").path("sandbox").path("state").asText()).isEqualTo("running");
        JsonNode updated = c.call(call("UpdateEgress", "{\"id\":\"n\",\"egress\":[{\"cidr\":\"198.51.100.0/24\",\"protocol\":\"tcp\",\"portFrom\":8080,\"portTo\":8080}]}"));
        assertThat(updated.path("parameters").path("sandbox").path("egress").toString()).as(updated.toString()).contains("198.51.100.0/24").doesNotContain("192.0.2.0");
        assertThat(c.call(call("Get", "{\"id\":\"n\"}")).path("parameters").path("sandbox").path("stats").has("txBytes")).isTrue();
        JsonNode gone = c.call(call("Destroy", "{\"id\":\"" + id + "\"}"));
        assertThat(gone.path("parameters").path("sandbox").path("state").asText()).isEqualTo("destroyed");
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> slots(prefix) > 0); // spares are kept ready
      new ProcessBuilder("kill", "-TERM", Long.toString(daemon.pid())).start().waitFor();
      assertThat(daemon.waitFor(40, TimeUnit.SECONDS)).isTrue();
      assertThat(daemon.exitValue()).isZero();
      assertThat(slots(prefix)).as(() -> read(root.resolve("net.log"))).isZero();
    } finally {
      // Even when an assertion failed midway: no daemon, no slot namespace of ours, no host side.
      if (daemon != null && daemon.isAlive()) {
        daemon.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
      }
      try (var s = Files.list(Path.of("/run/netns"))) {
        for (Path slot : s.filter(p -> p.getFileName().toString().startsWith(prefix + "-")).toList()) {
          TestUsers.run("ip", "netns", "del", slot.getFileName().toString());
        }
      }
      TestUsers.run("ip", "netns", "del", ns);
    }
  }

  private static long slots(String prefix) throws java.io.IOException {
    try (var s = Files.list(Path.of("/run/netns"))) {
      return s.filter(p -> p.getFileName().toString().startsWith(prefix + "-")).count();
    }
  }

  /**
   * Waits until the daemon answers Ping: the socket file appears at bind, before reconcile, so its
   * existence alone does not mean the daemon will serve (on a loaded machine the gap is seconds).
   */
  private static void awaitServing(Process daemon, Path socket, Path log) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
      assertThat(daemon.isAlive()).as(() -> "supervisor exited early:\n" + read(log)).isTrue();
      if (!Files.exists(socket)) {
        return false;
      }
      try (Varlink.Conn c = new Varlink.Conn(socket)) {
        return c.call(call("Ping", "{}")).has("parameters");
      } catch (java.io.IOException e) {
        return false;
      }
    });
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
