package io.stockade.e2e;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Two network namespaces of the test's own: "host", which the daemon is told to use as the host
 * (network.hostNetns), so it never touches the machine's own network, and "internet", joined to it
 * by a veth and serving three TCP banners: an allowed port, a denied port and a stand-in for the
 * cloud metadata address. The denied servers answer from the host namespace (checked at setup),
 * so a guest that cannot reach them was stopped by Stockade's firewall and nothing else.
 */
final class FakeInternet implements AutoCloseable {
  static final String HOST_ADDRESS = "198.51.100.1";
  static final String SERVER_ADDRESS = "198.51.100.2";
  static final String METADATA_ADDRESS = "169.254.169.254";
  static final int ALLOWED_PORT = 8080;
  static final int DENIED_PORT = 8081;
  static final int METADATA_PORT = 80;
  static final String ALLOWED_BANNER = "STK-E2-ALLOWED-BANNER";
  static final String DENIED_BANNER = "STK-E2-DENIED-BANNER";
  static final String METADATA_BANNER = "STK-E2-METADATA-BANNER";
  /** The host namespace's side of the veth: the daemon's uplink, where it masquerades. */
  static final String UPLINK = "e2up";
  static final String POOL = "10.231.0.0/16";

  final String hostNs;
  final String internetNs;
  private final List<Process> servers = new ArrayList<>();

  private FakeInternet(String suffix) {
    this.hostNs = "stk-e2-h" + suffix;
    this.internetNs = "stk-e2-i" + suffix;
  }

  static FakeInternet create() {
    FakeInternet net = new FakeInternet(Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20, 1 << 25), 36));
    try {
      net.build();
      return net;
    } catch (RuntimeException | Error e) {
      net.close();
      throw e;
    }
  }

  Path hostNsPath() {
    return Path.of("/run/netns", hostNs);
  }

  private void build() {
    Shell.runOk("ip", "netns", "add", hostNs);
    Shell.runOk("ip", "netns", "add", internetNs);
    inHost("ip", "link", "set", "lo", "up");
    inInternet("ip", "link", "set", "lo", "up");
    inHost("ip", "link", "add", UPLINK, "type", "veth", "peer", "name", "e2in", "netns", internetNs);
    inHost("ip", "addr", "add", HOST_ADDRESS + "/24", "dev", UPLINK);
    inHost("ip", "link", "set", UPLINK, "up");
    inHost("ip", "route", "add", "default", "via", SERVER_ADDRESS);
    // Forwarding in the test's host namespace only (sysctls under net. are per namespace).
    inHost("sysctl", "-qw", "net.ipv4.ip_forward=1");
    inInternet("ip", "addr", "add", SERVER_ADDRESS + "/24", "dev", "e2in");
    inInternet("ip", "addr", "add", METADATA_ADDRESS + "/32", "dev", "lo");
    inInternet("ip", "link", "set", "e2in", "up");
    // Replies find the sandboxes even if the daemon routes the pool instead of masquerading it.
    inInternet("ip", "route", "add", POOL, "via", HOST_ADDRESS);
    serve(SERVER_ADDRESS, ALLOWED_PORT, ALLOWED_BANNER);
    serve(SERVER_ADDRESS, DENIED_PORT, DENIED_BANNER);
    serve(METADATA_ADDRESS, METADATA_PORT, METADATA_BANNER);
    awaitBanner(SERVER_ADDRESS, ALLOWED_PORT, ALLOWED_BANNER);
    awaitBanner(SERVER_ADDRESS, DENIED_PORT, DENIED_BANNER);
    awaitBanner(METADATA_ADDRESS, METADATA_PORT, METADATA_BANNER);
  }

  private void serve(String address, int port, String banner) {
    ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", internetNs, "socat",
        "TCP-LISTEN:" + port + ",bind=" + address + ",fork,reuseaddr", "SYSTEM:echo " + banner);
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    try {
      servers.add(pb.start());
    } catch (IOException e) {
      throw new IllegalStateException("cannot start socat in " + internetNs + ": " + e.getMessage(), e);
    }
  }

  /** What the host namespace reads from address:port (the banner, when it is reachable). */
  String fetchFromHost(String address, int port) {
    return Shell.run(Duration.ofSeconds(5), Map.of(), null,
        List.of("ip", "netns", "exec", hostNs, "socat", "-T", "3", "-", "TCP:" + address + ":" + port + ",connect-timeout=3")).out();
  }

  private void awaitBanner(String address, int port, String banner) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String got = "";
    while (System.nanoTime() < deadline) {
      got = fetchFromHost(address, port);
      if (got.contains(banner)) {
        return;
      }
      sleep(100);
    }
    throw new IllegalStateException("the fake internet's server " + address + ":" + port
        + " does not answer from " + hostNs + " (got '" + got.strip() + "')");
  }

  void inHost(String... argv) {
    exec(hostNs, argv);
  }

  void inInternet(String... argv) {
    exec(internetNs, argv);
  }

  private static void exec(String ns, String... argv) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    cmd.addAll(List.of(argv));
    Shell.run(Shell.DEFAULT_TIMEOUT, Map.of(), null, cmd).check();
  }

  /** Lines of `ip -o link` in the host namespace (sandbox veths show up here). */
  List<String> hostLinks() {
    List<String> names = new ArrayList<>();
    for (String line : Shell.runOk("ip", "-n", hostNs, "-o", "link").out().split("\n")) {
      String[] f = line.split(":\\s+");
      if (f.length > 1) {
        names.add(f[1].replaceAll("@.*", ""));
      }
    }
    return names;
  }

  String hostRuleset() {
    return Shell.run(Shell.DEFAULT_TIMEOUT, Map.of(), null, List.of("ip", "netns", "exec", hostNs, "nft", "list", "ruleset")).out();
  }

  @Override
  public void close() {
    for (Process p : servers) {
      p.destroy();
    }
    for (Process p : servers) {
      try {
        if (!p.waitFor(3, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    // socat's per-connection children, by pid: whatever still runs in our namespace.
    for (String ns : List.of(internetNs, hostNs)) {
      for (String pid : Shell.run("ip", "netns", "pids", ns).out().split("\\s+")) {
        if (pid.matches("\\d+")) {
          ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
      Shell.run("ip", "netns", "del", ns);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
