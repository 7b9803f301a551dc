package io.stockade.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The packaged {@code stockade} CLI run as a throwaway user: {@code setpriv} gives the JVM that
 * user's uid and gid and no supplementary groups, so the daemon's SO_PEERCRED sees exactly the
 * user, as it would for a program the user runs.
 */
final class Cli {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path jar;
  private final Path socket;
  private final ThrowawayUser user;

  Cli(Path jar, Path socket, ThrowawayUser user) {
    this.jar = jar;
    this.socket = socket;
    this.user = user;
  }

  Shell.Result run(String... args) {
    return run(Duration.ofSeconds(180), args);
  }

  Shell.Result run(Duration timeout, String... args) {
    List<String> argv = new ArrayList<>(List.of("setpriv", "--reuid=" + user.uid, "--regid=" + user.gid, "--clear-groups",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
        // No /tmp/hsperfdata_<user> left behind by the throwaway user.
        "-XX:-UsePerfData", "-jar", jar.toString(),
        "--socket", socket.toString(), "--call-timeout", "170"));
    argv.addAll(List.of(args));
    // No HOME of its own (a system user): point it somewhere harmless and readable.
    return Shell.run(timeout, Map.of("HOME", "/", "LC_ALL", "C.UTF-8"), null, argv);
  }

  /** Runs with --json and parses the reply; fails with the whole output unless it exited 0. */
  JsonNode json(String... args) {
    List<String> a = new ArrayList<>(List.of("--json"));
    a.addAll(List.of(args));
    Shell.Result r = abortIfUnsupported(run(a.toArray(String[]::new))).check();
    try {
      return JSON.readTree(r.out());
    } catch (IOException e) {
      throw new IllegalStateException("not JSON from " + r.describe(), e);
    }
  }

  /**
   * Skips the test when the daemon answered Unsupported (no driver for the kind on this host, no
   * snapshots for it): a capability of the build or host, not a wrong answer.
   */
  static Shell.Result abortIfUnsupported(Shell.Result r) {
    if (!r.ok() && r.err().contains("io.stockade.Supervisor.Unsupported")) {
      org.junit.jupiter.api.Assumptions.abort("the daemon does not support this here: " + r.err().strip());
    }
    return r;
  }

  /** The sandbox object of a Create/Start/Get/Stop/Destroy reply printed with --json. */
  static JsonNode sandbox(JsonNode reply) {
    return reply.has("sandbox") ? reply.get("sandbox") : reply;
  }

  ThrowawayUser user() {
    return user;
  }
}
