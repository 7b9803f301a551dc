package io.stockade.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockade.client.SandboxInfo;
import io.stockade.client.SandboxState;
import io.stockade.client.StockadeClient;
import io.stockade.client.StockadeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * One whole Stockade for a test class: the fake internet, throwaway users granted by a policy
 * file, the packaged daemon, and the CLI as each user. {@link #close()} undoes all of it in
 * reverse order, each step even when an earlier one failed.
 */
final class StockadeSystem implements AutoCloseable {
  /**
   * A stop that ended with the guest's own power-off: the daemon says "guest powered off", or, for
   * a Stop it drove, "(shut down on request)" (the step before SIGTERM and kill).
   */
  static final java.util.regex.Pattern GRACEFUL_REASON =
      java.util.regex.Pattern.compile("(?is).*(guest powered off|shut down on request).*");

  final FakeInternet net;
  final List<ThrowawayUser> users = new ArrayList<>();
  final SupervisorProcess daemon;
  final Path cliJar;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  private StockadeSystem(FakeInternet net, SupervisorProcess daemon, Path cliJar) {
    this.net = net;
    this.daemon = daemon;
    this.cliJar = cliJar;
  }

  /** Checks the prerequisites (skipping when one is missing), then builds and starts everything. */
  static StockadeSystem start(int userCount, int maxSandboxesEach) throws Exception {
    Prerequisites.assumeHost();
    Path imageDir = Prerequisites.imageDir();
    Path daemonJar = Prerequisites.daemonJar();
    Path cliJar = Prerequisites.cliJar();
    FakeInternet net = FakeInternet.create();
    StockadeSystem s = null;
    try {
      s = new StockadeSystem(net, SupervisorProcess.prepare(daemonJar, imageDir, net), cliJar);
      var rules = new com.fasterxml.jackson.databind.node.ObjectNode[userCount];
      for (int i = 0; i < userCount; i++) {
        ThrowawayUser u = ThrowawayUser.create();
        s.users.add(u);
        rules[i] = SupervisorProcess.grantRule(u.uid, maxSandboxesEach);
      }
      s.daemon.writePolicy("50-stk-e2.json", SupervisorProcess.policy(rules));
      s.daemon.start();
      return s;
    } catch (Exception | Error e) {
      if (s != null) {
        s.close();
      } else {
        net.close();
      }
      throw e;
    }
  }

  Cli cli(int user) {
    return new Cli(cliJar, daemon.socket, users.get(user));
  }

  /** Closes {@code c} with the system, before the daemon stops (streams, clients). */
  <T extends AutoCloseable> T closeLater(T c) {
    toClose.add(c);
    return c;
  }

  StockadeClient root() throws StockadeException {
    return closeLater(daemon.rootClient());
  }

  SandboxInfo get(String id) throws StockadeException {
    try (StockadeClient c = daemon.rootClient()) {
      return c.get(id);
    }
  }

  String logs(String id) throws StockadeException {
    try (StockadeClient c = daemon.rootClient()) {
      return c.logs(id, 5000);
    }
  }

  /** Polls the sandbox (as root) until {@code test} holds; fails with its state and console. */
  SandboxInfo awaitSandbox(String id, Duration timeout, String what, Predicate<SandboxInfo> test) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    SandboxInfo last = null;
    while (System.nanoTime() < deadline) {
      last = get(id);
      if (test.test(last)) {
        return last;
      }
      SupervisorProcess.sleep(300);
    }
    throw new AssertionError("sandbox " + id + " never became " + what + " within " + timeout + "; last: " + last
        + "\nconsole:\n" + tail(logsQuietly(id), 40) + "\ndaemon log:\n" + daemon.logTail(40));
  }

  SandboxInfo awaitState(String id, SandboxState state, Duration timeout) throws Exception {
    return awaitSandbox(id, timeout, state.toString(), s -> s.state() == state);
  }

  /** Polls the console until it contains {@code needle}; returns the console. */
  String awaitConsole(String id, String needle, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String console = "";
    while (System.nanoTime() < deadline) {
      console = logs(id);
      if (console.contains(needle)) {
        return console;
      }
      SupervisorProcess.sleep(300);
    }
    throw new AssertionError("console of " + id + " never showed '" + needle + "' within " + timeout + "; state "
        + get(id).state() + "; console:\n" + tail(console, 40) + "\ndaemon log:\n" + daemon.logTail(40));
  }

  String logsQuietly(String id) {
    try {
      return logs(id);
    } catch (StockadeException e) {
      return "(logs failed: " + e.getMessage() + ")";
    }
  }

  /** Creates a QEMU guest from the default image as user {@code user}, running {@code script}. */
  String createGuest(int user, String name, String script, String... egress) {
    List<String> args = new ArrayList<>(List.of("create", "--kind", "qemu", "--image", "stockade-default", "--name", name,
        "--ready-timeout", "90"));
    for (String e : egress) {
      args.add("--egress");
      args.add(e);
    }
    args.addAll(List.of("--", "/bin/sh", "-c", script));
    JsonNode sb = Cli.sandbox(cli(user).json(args.toArray(String[]::new)));
    assertThat(sb.path("state").asText()).isEqualTo("created");
    return sb.get("id").asText();
  }

  /** Starts as {@code user} (Start returns once the guest printed its readiness line). */
  JsonNode startAs(int user, String id) {
    return Cli.sandbox(cli(user).json("start", id));
  }

  static String tail(String text, int lines) {
    String[] all = text.split("\n", -1);
    return String.join("\n", java.util.Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
  }

  @Override
  public void close() {
    List<Throwable> errors = new ArrayList<>();
    for (int i = toClose.size() - 1; i >= 0; i--) {
      run(toClose.get(i)::close, errors);
    }
    run(this::destroyLeftovers, errors);
    run(daemon::close, errors);
    for (ThrowawayUser u : users) {
      run(u::close, errors);
    }
    run(this::removeSandboxNamespaces, errors);
    run(net::close, errors);
    if (!errors.isEmpty()) {
      IllegalStateException e = new IllegalStateException("cleanup failed: " + errors);
      errors.forEach(e::addSuppressed);
      throw e;
    }
  }

  /** Whatever a failed test left: destroyed through the daemon while it still answers. */
  private void destroyLeftovers() throws Exception {
    if (!daemon.isAlive()) {
      return;
    }
    try (StockadeClient c = daemon.rootClient()) {
      for (SandboxInfo s : c.list()) {
        try {
          c.destroy(s.id());
        } catch (StockadeException e) {
          System.err.println("stk-e2: could not destroy leftover " + s.id() + ": " + e.getMessage());
        }
      }
    }
  }

  /** Sandbox namespaces whose veth peer sits in our host namespace: ours, if the daemon left them. */
  private void removeSandboxNamespaces() {
    for (String ns : sandboxNamespaces()) {
      System.err.println("stk-e2: removing network namespace the daemon left behind: " + ns);
      Shell.run("ip", "netns", "del", ns);
    }
  }

  /**
   * Namespaces joined to our host namespace by a veth, the fake internet aside: the daemon's
   * sandbox and spare-slot namespaces (their names carry the network manager's default prefix).
   */
  List<String> sandboxNamespaces() {
    List<String> found = new ArrayList<>();
    for (String line : Shell.run("ip", "-n", net.hostNs, "-o", "link").out().split("\n")) {
      int at = line.indexOf(" link-netns ");
      if (at >= 0) {
        String ns = line.substring(at + 12).trim().split("\\s+")[0];
        if (!ns.equals(net.internetNs)) {
          found.add(ns);
        }
      }
    }
    return found;
  }

  private interface Step {
    void run() throws Exception;
  }

  private static void run(Step step, List<Throwable> errors) {
    try {
      step.run();
    } catch (Throwable t) {
      errors.add(t);
    }
  }
}
