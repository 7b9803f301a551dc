package io.stockade.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.client.StockadeClient;
import io.stockade.client.StockadeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The packaged daemon ({@code java -jar stockade-supervisor.jar run --config FILE}) as a separate
 * process, every path of it in one temporary directory, its network in a {@link FakeInternet}.
 * {@link #close()} stops it, reaps what it left behind (by pid) and removes the directory without
 * ever crossing into a mount.
 */
final class SupervisorProcess implements AutoCloseable {
  static final int DRAIN_SECONDS = 45;
  static final int GRACEFUL_SECONDS = 20;

  final Path root;
  final Path socket;
  final Path config;
  final Path log;
  final Path stateDir;
  final Path sandboxesDir;
  final Path snapshotsDir;
  final Path jailsDir;
  final Path runDir;
  final Path policyDir;
  private final Path jar;
  private Process process;
  // Every process the daemon ever had as a descendant: reaped by pid on close if still alive.
  private final Set<ProcessHandle> seenDescendants = new HashSet<>();

  private SupervisorProcess(Path root, Path jar) {
    this.root = root;
    this.jar = jar;
    this.stateDir = root.resolve("state");
    this.sandboxesDir = root.resolve("sandboxes");
    this.snapshotsDir = root.resolve("snapshots");
    this.jailsDir = root.resolve("jails");
    this.runDir = root.resolve("run");
    this.policyDir = root.resolve("policy.d");
    this.socket = runDir.resolve("stockade.sock");
    this.config = root.resolve("stockade.json");
    this.log = root.resolve("daemon.log");
  }

  /** Lays out the directories and writes the configuration; does not start the daemon. */
  static SupervisorProcess prepare(Path jar, Path imageDir, FakeInternet net) throws IOException {
    Path root = Files.createTempDirectory("stk-e2-");
    SupervisorProcess d = new SupervisorProcess(root, jar);
    // The client user must reach the socket: traverse-only on the way there.
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x--x"));
    for (Path p : List.of(d.stateDir, d.sandboxesDir, d.snapshotsDir, d.jailsDir, root.resolve("images"))) {
      Files.createDirectory(p);
    }
    Files.createDirectory(d.runDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
    Files.createDirectory(d.policyDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Files.setPosixFilePermissions(d.runDir, PosixFilePermissions.fromString("rwx--x--x"));
    Files.setPosixFilePermissions(d.policyDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    d.writeConfig(imageDir, net);
    return d;
  }

  private void writeConfig(Path imageDir, FakeInternet net) throws IOException {
    ObjectMapper m = new ObjectMapper();
    ObjectNode c = m.createObjectNode();
    c.put("stateDir", stateDir.toString());
    c.put("sandboxesDir", sandboxesDir.toString());
    c.put("snapshotsDir", snapshotsDir.toString());
    c.put("imageDir", root.resolve("images").toString());
    c.put("runDir", runDir.toString());
    c.put("jailsDir", jailsDir.toString());
    c.put("socketPath", socket.toString());
    c.put("socketMode", "0666");
    c.put("policyDir", policyDir.toString());
    c.putArray("catalogFiles").add(imageDir.resolve("catalog.json").toString());
    c.putObject("vmm").put("qemu", Prerequisites.QEMU.toString());
    ObjectNode defaults = c.putObject("defaults");
    defaults.put("image", "stockade-default");
    defaults.put("readyTimeoutSeconds", 90);
    ObjectNode stop = c.putObject("stop");
    stop.put("gracefulSeconds", GRACEFUL_SECONDS);
    stop.put("termSeconds", 5);
    stop.put("drainSeconds", DRAIN_SECONDS);
    // A uid range of our own, far from other helpers' tests and real users.
    c.putObject("uidRange").put("first", 3_000_000 + ThreadLocalRandom.current().nextInt(0, 1000) * 256).put("count", 256);
    ObjectNode network = c.putObject("network");
    network.put("hostNetns", net.hostNsPath().toString());
    network.put("addressPool", FakeInternet.POOL);
    network.put("uplink", FakeInternet.UPLINK);
    Files.writeString(config, m.writerWithDefaultPrettyPrinter().writeValueAsString(c));
  }

  /** Writes one policy file (root-owned, 0644, as the loader demands). */
  void writePolicy(String fileName, ObjectNode policy) throws IOException {
    Path f = policyDir.resolve(fileName);
    Files.writeString(f, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(policy));
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
  }

  /** A policy rule granting {@code uid} process and qemu sandboxes, egress only to the allowed port. */
  static ObjectNode grantRule(int uid, int maxSandboxes) {
    ObjectMapper m = new ObjectMapper();
    ObjectNode rule = m.createObjectNode();
    rule.put("description", "stockade e2e throwaway user");
    rule.putArray("uids").add(uid);
    ObjectNode g = rule.putObject("grant");
    g.putArray("kinds").add("process").add("qemu");
    g.putArray("images").add("stockade-default");
    g.putArray("commands").add("/bin/sh");
    g.put("maxSandboxes", maxSandboxes);
    g.put("maxVcpus", 1);
    g.put("maxMemoryMiB", 256);
    ArrayNode egress = g.putArray("egress");
    egress.addObject().put("cidr", FakeInternet.SERVER_ADDRESS + "/32").put("protocol", "tcp").put("ports", String.valueOf(FakeInternet.ALLOWED_PORT));
    return rule;
  }

  static ObjectNode policy(ObjectNode... rules) {
    ObjectNode p = new ObjectMapper().createObjectNode();
    p.put("version", 1);
    p.put("description", "written by the stockade e2e tests");
    ArrayNode a = p.putArray("rules");
    for (ObjectNode r : rules) {
      a.add(r);
    }
    return p;
  }

  /** Starts the daemon and waits until its socket answers Ping. */
  void start() throws IOException {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("daemon already running, pid " + process.pid());
    }
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(javaBin, "-jar", jar.toString(), "run", "--config", config.toString());
    pb.environment().keySet().removeIf(k -> k.startsWith("STOCKADE_"));
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Files.writeString(log, "---- e2e: starting daemon\n", StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    process = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    StockadeException last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the daemon exited with status " + process.exitValue()
            + " before answering on " + socket + "; its log:\n" + logTail(60));
      }
      if (Files.exists(socket)) {
        try (StockadeClient c = StockadeClient.connect(socket)) {
          c.ping();
          return;
        } catch (StockadeException e) {
          last = e;
        }
      }
      sleep(200);
    }
    throw new IllegalStateException("the daemon did not answer Ping on " + socket + " within 90 s (last: " + last
        + "); its log:\n" + logTail(60));
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** The operator's view: root's client (root sees every sandbox). */
  StockadeClient rootClient() throws StockadeException {
    return StockadeClient.connect(socket, StockadeClient.Options.defaults().withCallTimeout(Duration.ofSeconds(150)));
  }

  /** Remembers the daemon's current descendants (VMMs), so close() can reap them after a crash. */
  List<ProcessHandle> descendants() {
    List<ProcessHandle> d = new ArrayList<>();
    if (process != null) {
      process.descendants().forEach(d::add);
    }
    seenDescendants.addAll(d);
    return d;
  }

  void remember(ProcessHandle h) {
    seenDescendants.add(h);
  }

  void sigterm() {
    descendants();
    process.destroy();
  }

  void sigkill() {
    descendants();
    process.destroyForcibly();
    waitExit(Duration.ofSeconds(10));
  }

  /** The exit status, or -1 if it still runs after {@code timeout}. */
  int waitExit(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      descendants();
      process.destroy();
      if (waitExit(Duration.ofSeconds(DRAIN_SECONDS + 15)) < 0) {
        process.destroyForcibly();
        waitExit(Duration.ofSeconds(10));
      }
    }
    for (ProcessHandle h : seenDescendants) {
      if (h.isAlive()) {
        h.destroyForcibly();
      }
    }
    for (ProcessHandle h : seenDescendants) {
      h.onExit().completeOnTimeout(h, 5, TimeUnit.SECONDS).join();
    }
    TempTree.removeUnlessMounted(root);
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
