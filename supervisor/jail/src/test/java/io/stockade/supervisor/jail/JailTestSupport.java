package io.stockade.supervisor.jail;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/** A launcher of its own per test class: own state directory under /tmp, own uid range. */
final class JailTestSupport implements AutoCloseable {
  final Path base;
  final JailConfig config;
  final LinuxJailLauncher launcher;
  private final List<String> launched = new ArrayList<>();

  private JailTestSupport(Path base, JailConfig config, LinuxJailLauncher launcher) {
    this.base = base;
    this.config = config;
    this.launcher = launcher;
  }

  static void assumeRoot() {
    assumeTrue("root".equals(System.getProperty("user.name")), "jail tests need root (namespaces, mounts, cgroups)");
  }

  /** uidBase: a distinct range per test class, so classes running in parallel never collide. */
  static JailTestSupport create(String tag, int uidBase) throws Exception {
    assumeRoot();
    Path base = Files.createTempDirectory("stk-jt-" + tag + "-");
    JailConfig config = JailConfig.defaults(base).withUidRange(uidBase, 64).withCgroupPrefix("");
    return new JailTestSupport(base, config, LinuxJailLauncher.create(config));
  }

  String newId(String what) {
    String id = "stk-jt-" + what + "-" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 30), 36);
    launched.add(id);
    return id;
  }

  static JailSpec.Limits limits() {
    return new JailSpec.Limits(0, 128L << 20, 64, 256, 0);
  }

  JailSpec shell(String id, String script) {
    return new JailSpec(id, Path.of("/bin/sh"), List.of("sh", "-c", script), Map.of("PATH", "/usr/bin:/bin"),
        SystemMounts.readOnly(), List.of("null", "urandom"), Optional.empty(), limits(), "process", false, "/");
  }

  JailSpec probe(String id, JailSpec.Limits limits, String... args) throws JailException {
    Path probe = LinuxJailLauncher.probe(config);
    List<String> argv = new ArrayList<>();
    argv.add("probe");
    argv.addAll(List.of(args));
    return new JailSpec(id, probe, argv, Map.of(), List.of(), List.of("null"), Optional.empty(), limits, "process", false, "/");
  }

  static String console(JailedProcess p) throws IOException {
    return Files.exists(p.consoleFile()) ? Files.readString(p.consoleFile()) : "";
  }

  static int await(JailedProcess p) throws Exception {
    return p.onExit().get(Duration.ofSeconds(60).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() throws IOException {
    for (String id : launched) {
      launcher.cleanup(id);
    }
    try (Stream<Path> s = Files.walk(base)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
