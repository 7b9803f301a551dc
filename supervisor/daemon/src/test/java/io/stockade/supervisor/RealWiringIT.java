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
    await().atMost(Duration.ofSeconds(40)).until(() -> Files.exists(socket) || !daemon.isAlive());
    assertThat(daemon.isAlive()).as(() -> read(root.resolve("supervisor.log"))).isTrue();

    List<JsonNode> r = Varlink.asUser(alice, socket,
        call("Create", "{\"spec\":{\"kind\":\"process\",\"name\":\"j\",\"command\":[\"/bin/sh\",\"-c\",\"echo hello from a jailed process; id -u; sleep 30\"]}}"),
        call("Start", "{\"id\":\"j\"}"),
        call("Create", "{\"spec\":{\"kind\":\"process\",\"command\":[\"/bin/sh\"]}}"));
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

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
