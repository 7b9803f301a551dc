package io.stockade.supervisor.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The supervisor as a separate JVM (shaded jar + test wiring), with its own temp dirs and config. */
public final class DaemonProcess implements AutoCloseable {
  public final Path root;
  public final Path socket;
  public final Path config;
  public final Path log;
  private Process process;

  public DaemonProcess(Path root, String extraConfig) throws IOException {
    this.root = root;
    this.socket = root.resolve("run/stockade.sock");
    this.config = root.resolve("stockade.json");
    this.log = root.resolve("supervisor.log");
    Files.createDirectories(root.resolve("policy"));
    Files.writeString(config, "{\"stateDir\":\"" + root.resolve("state") + "\",\"sandboxesDir\":\"" + root.resolve("sandboxes")
        + "\",\"snapshotsDir\":\"" + root.resolve("snapshots") + "\",\"runDir\":\"" + root.resolve("run")
        + "\",\"socketPath\":\"" + socket + "\",\"policyDir\":\"" + root.resolve("policy") + "\""
        + (extraConfig.contains("\"stop\"") ? "" : ",\"stop\":{\"gracefulSeconds\":2,\"termSeconds\":1,\"drainSeconds\":20}")
        + extraConfig + "}");
  }

  public static boolean available() {
    return System.getProperty("stockade.supervisorJar") != null && Files.exists(Path.of(System.getProperty("stockade.supervisorJar")));
  }

  public static List<String> javaCommand(String... args) {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("stockade.supervisorJar") + ":" + System.getProperty("stockade.testClasses"),
        "io.stockade.supervisor.TestSupervisorMain"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  public DaemonProcess start(Map<String, String> env) throws IOException {
    Files.deleteIfExists(socket);
    ProcessBuilder pb = new ProcessBuilder(javaCommand("run", "--config", config.toString()))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().remove("NOTIFY_SOCKET");
    pb.environment().putAll(env);
    process = pb.start();
    awaitSocket();
    return this;
  }

  public void awaitSocket() throws IOException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(socket)) {
        try (Varlink.Conn c = new Varlink.Conn(socket)) {
          if (c.call(Varlink.call("Ping", "{}")).has("parameters")) {
            return;
          }
        } catch (IOException e) {
          // not accepting yet
        }
      }
      if (process != null && !process.isAlive()) {
        throw new IOException("supervisor exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      sleep(50);
    }
    throw new IOException("supervisor socket " + socket + " did not appear:\n" + Files.readString(log));
  }

  public Process process() {
    return process;
  }

  public JsonNode call(String method, String params) throws IOException {
    try (Varlink.Conn c = new Varlink.Conn(socket)) {
      return c.call(Varlink.call(method, params));
    }
  }

  public JsonNode stateFile(String id) throws IOException {
    return new ObjectMapper().readTree(root.resolve("state/sandboxes/" + id + ".json").toFile());
  }

  public int signalAndWait(String signal, Duration timeout) throws Exception {
    new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start().waitFor();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("supervisor did not exit within " + timeout + ":\n" + Files.readString(log));
    }
    return process.exitValue();
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
