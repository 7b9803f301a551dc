package io.stockade.supervisor;

import static io.stockade.supervisor.testing.Varlink.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockade.supervisor.testing.Fixtures;
import io.stockade.supervisor.testing.Varlink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shaded daemon with a real QEMU guest (TCG) from the default image: WriteConsole types into
 * the guest's shell, a graceful Stop records the guest's own power-off, and the console of the
 * stopped sandbox is still there after a supervisor restart.
 */
@Timeout(240)
class QemuConsoleIT {
  private Path root;
  private Process daemon;
  private Path config;

  @BeforeEach
  void setUp() throws Exception {
    String jar = System.getProperty("stockade.supervisorJar");
    Assumptions.assumeTrue(jar != null && Files.exists(Path.of(jar)), "needs the shaded jar (run through mvn verify)");
    Path images = Path.of(System.getProperty("stockade.imageDir", "out/images/default"));
    Assumptions.assumeTrue(Files.exists(images.resolve("catalog.json")), "no default image in " + images + ": run scripts/build-image");
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")), "needs qemu-system-x86_64");
    root = Fixtures.tempDir();
    int uidBase = 3_700_000 + 256 * ThreadLocalRandom.current().nextInt(1000);
    config = root.resolve("stockade.json");
    Files.writeString(config, "{\"stateDir\":\"" + root.resolve("state") + "\",\"sandboxesDir\":\"" + root.resolve("sandboxes")
        + "\",\"snapshotsDir\":\"" + root.resolve("snapshots") + "\",\"jailsDir\":\"" + root.resolve("jails")
        + "\",\"imageDir\":\"" + root.resolve("images") + "\",\"runDir\":\"" + root.resolve("run")
        + "\",\"socketPath\":\"" + root.resolve("run/stockade.sock") + "\",\"policyDir\":\"" + root.resolve("policy")
        + "\",\"catalogFiles\":[\"" + images.resolve("catalog.json") + "\"]"
        + ",\"uidRange\":{\"first\":" + uidBase + ",\"count\":64},\"network\":{\"enabled\":false}"
        + ",\"stop\":{\"gracefulSeconds\":20,\"termSeconds\":2,\"drainSeconds\":30}}");
  }

  @AfterEach
  void tearDown() throws Exception {
    stopDaemon();
    Fixtures.deleteTree(root);
  }

  private void startDaemon() throws IOException {
    Path socket = root.resolve("run/stockade.sock");
    daemon = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        System.getProperty("stockade.supervisorJar"), "run", "--config", config.toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("supervisor.log").toFile())).start();
    await().atMost(Duration.ofSeconds(40)).until(() -> ping(socket) || !daemon.isAlive());
    assertThat(daemon.isAlive()).as(() -> log()).isTrue();
  }

  private void stopDaemon() throws Exception {
    if (daemon != null && daemon.isAlive()) {
      new ProcessBuilder("kill", "-TERM", Long.toString(daemon.pid())).start().waitFor();
      if (!daemon.waitFor(60, TimeUnit.SECONDS)) {
        daemon.destroyForcibly();
      }
    }
  }

  private static boolean ping(Path socket) {
    try (Varlink.Conn c = new Varlink.Conn(socket)) {
      return !c.call(call("Ping", "{}")).has("error");
    } catch (IOException e) {
      return false;
    }
  }

  private String log() {
    try {
      return Files.readString(root.resolve("supervisor.log"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return e.toString();
    }
  }

  private JsonNode rootCall(String method, String params) throws IOException {
    try (Varlink.Conn c = new Varlink.Conn(root.resolve("run/stockade.sock"))) {
      return c.call(call(method, params));
    }
  }

  private String logs() throws IOException {
    return rootCall("Logs", "{\"id\":\"vm\",\"tail\":500}").path("parameters").path("data").asText();
  }

  @Test
  void typeIntoTheGuestStopItAndReadItsConsoleAfterARestart() throws Exception {
    startDaemon();
    JsonNode created = rootCall("Create", "{\"spec\":{\"kind\":\"qemu\",\"name\":\"vm\",\"memoryMiB\":256}}");
    assertThat(created.has("error")).as(created.toString()).isFalse();
    long t0 = System.nanoTime();
    JsonNode started = rootCall("Start", "{\"id\":\"vm\"}");
    assertThat(started.path("parameters").path("sandbox").path("state").asText()).as(() -> started + "\n" + log()).isEqualTo("running");
    System.out.println("FIGURE Start of a qemu sandbox (TCG) through the daemon: " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");

    JsonNode typed = rootCall("WriteConsole", "{\"id\":\"vm\",\"data\":\"echo typed-$((6*7))\\n\"}");
    assertThat(typed.path("parameters").path("written").asInt()).as(typed.toString()).isEqualTo(20);
    await().atMost(Duration.ofSeconds(30)).until(() -> logs().contains("typed-42"));

    JsonNode stopped = rootCall("Stop", "{\"id\":\"vm\"}");
    JsonNode sb = stopped.path("parameters").path("sandbox");
    assertThat(sb.path("state").asText()).as(stopped.toString()).isEqualTo("stopped");
    assertThat(sb.path("reason").asText()).isEqualTo("stopped by uid 0 (guest powered off)");

    stopDaemon();
    startDaemon();
    assertThat(logs()).contains("typed-42");
    assertThat(rootCall("Destroy", "{\"id\":\"vm\"}").path("parameters").path("sandbox").path("state").asText()).isEqualTo("destroyed");
  }
}
