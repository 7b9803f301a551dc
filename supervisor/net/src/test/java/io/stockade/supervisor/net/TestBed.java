package io.stockade.supervisor.net;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A private little internet for one test, all in namespaces the test creates:
 *
 * <pre>
 *  guest ns (stands in for the VM)     sandbox ns (manager's)        host ns (test's)      inet ns
 *  eth0 guest/30 ---veth "tap0"--- tap0 gw/30 | up0 ---veth--- &lt;p&gt;hN   &lt;p&gt;up ---veth--- &lt;p&gt;in
 *                                                                       198.51.100.254   198.51.100.1,.53
 *                                                                                        10.99.0.1
 *                                                                                        169.254.169.254
 *                                                                                        2001:db8::1
 * </pre>
 *
 * The manager builds a real TAP; with no VM behind it, {@link #plugGuest} replaces the TAP by a
 * veth of the same name whose peer is the guest namespace. Every rule matches by interface name,
 * so the guest's packets take exactly the path a VM's would: in on "tap0", prerouting, forward.
 */
final class TestBed implements AutoCloseable {
  /** The bed's name prefix: its base and random hex digits, 9 characters (NetConfig's maximum). */
  final String prefix;
  final String hostNs;
  final String inetNs;
  final Path stateDir;
  private final List<String> namespaces = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();

  static void assumeCapable() {
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root for namespaces");
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/nft")), "needs nft (apt-get install nftables)");
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/conntrack")), "needs conntrack");
    assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun");
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/nc")), "needs nc (netcat-openbsd)");
  }

  TestBed() throws Exception {
    this("stk-nt");
  }

  /** A bed whose resources are named {@code <base><random hex>} (base: a test class's own). */
  TestBed(String base) throws Exception {
    String hex = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    prefix = base + hex.substring(0, 9 - base.length());
    hostNs = prefix + "-host";
    inetNs = prefix + "-inet";
    stateDir = Files.createTempDirectory(prefix + "-state");
    try {
      netns(hostNs);
      netns(inetNs);
      sh("ip", "netns", "exec", hostNs, "sysctl", "-qw", "net.ipv4.ip_forward=1");
      sh("ip", "-n", hostNs, "link", "set", "lo", "up");
      sh("ip", "-n", inetNs, "link", "set", "lo", "up");
      sh("ip", "-n", hostNs, "link", "add", prefix + "up", "type", "veth", "peer", "name",
          prefix + "in", "netns", inetNs);
      sh("ip", "-n", hostNs, "addr", "add", "198.51.100.254/24", "dev", prefix + "up");
      sh("ip", "-n", hostNs, "link", "set", prefix + "up", "up");
      for (String a : List.of("198.51.100.1/24", "198.51.100.53/24", "10.99.0.1/24",
          "169.254.169.254/16")) {
        sh("ip", "-n", inetNs, "addr", "add", a, "dev", prefix + "in");
      }
      sh("ip", "-n", inetNs, "-6", "addr", "add", "2001:db8::1/64", "dev", prefix + "in",
          "nodad");
      sh("ip", "-n", inetNs, "link", "set", prefix + "in", "up");
      sh("ip", "-n", hostNs, "route", "add", "10.99.0.0/24", "via", "198.51.100.1");
      sh("ip", "-n", hostNs, "route", "add", "169.254.169.254/32", "via", "198.51.100.1");
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  NetConfig config() {
    return NetConfig.defaults(stateDir)
        .withHostNetns(Path.of("/run/netns", hostNs))
        .withNames(prefix, prefix)
        .withUplink(prefix + "up")
        .withResolver("198.51.100.53")
        .withPool("10.213.0.0/16", 1, 1000)
        .withPoolSize(0);
  }

  void netns(String name) throws Exception {
    sh("ip", "netns", "add", name);
    namespaces.add(name);
  }

  /** Replaces the sandbox's TAP by a veth into a new guest namespace configured as the VM would be. */
  String plugGuest(SandboxNetwork n) throws Exception {
    String guest = prefix + "-g" + n.slot();
    netns(guest);
    String sbx = n.netnsPath().getFileName().toString();
    sh("ip", "-n", sbx, "link", "del", "tap0");
    sh("ip", "-n", sbx, "link", "add", "tap0", "type", "veth", "peer", "name", "eth0", "netns",
        guest);
    SlotAddresses a = SlotAddresses.of(config(), n.slot());
    sh("ip", "-n", sbx, "link", "set", "tap0", "address", a.gatewayMac());
    sh("ip", "-n", sbx, "addr", "add", n.gateway() + "/30", "dev", "tap0");
    sh("ip", "-n", sbx, "link", "set", "tap0", "up");
    sh("ip", "-n", sbx, "neigh", "replace", n.guestAddress(), "lladdr", n.mac(), "dev", "tap0",
        "nud", "permanent");
    sh("ip", "-n", guest, "link", "set", "lo", "up");
    sh("ip", "-n", guest, "link", "set", "eth0", "address", n.mac());
    sh("ip", "-n", guest, "addr", "add", n.guestAddress() + "/30", "dev", "eth0");
    sh("ip", "-n", guest, "link", "set", "eth0", "up");
    sh("ip", "-n", guest, "route", "add", "default", "via", n.gateway());
    return guest;
  }

  /** A TCP listener (nc -lk) in a namespace; stopped by close(). */
  void listen(String ns, String addr, int port) throws Exception {
    listen(ns, addr, port, null);
  }

  void listen(String ns, String addr, int port, Path output) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "nc", "-lk"));
    if (addr.contains(":")) {
      cmd.add("-6");
    }
    cmd.add(addr);
    cmd.add(String.valueOf(port));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(output == null ? ProcessBuilder.Redirect.DISCARD
        : ProcessBuilder.Redirect.to(output.toFile()));
    processes.add(pb.start());
    waitListening(ns, port);
  }

  private void waitListening(String ns, int port) throws Exception {
    for (int i = 0; i < 100; i++) {
      String out = sh("ip", "netns", "exec", ns, "ss", "-Hltn", "sport = :" + port);
      if (!out.isBlank()) {
        return;
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("listener on port " + port + " in " + ns + " did not start");
  }

  /**
   * A TCP connection from {@code ns} to a listener on addr:port in the internet namespace that
   * has carried a first line; for tests that narrow the egress under it.
   */
  OpenConnection openConnection(String ns, String addr, int port) throws Exception {
    Path received = stateDir.resolve("received-" + port);
    listen(inetNs, addr, port, received);
    Process client = start("ip", "netns", "exec", ns, "nc", addr, String.valueOf(port));
    OpenConnection c = new OpenConnection(client.getOutputStream(), received);
    c.send("before");
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
        .until(() -> Files.readString(received).contains("before"));
    return c;
  }

  /** The client end of {@link #openConnection} and what its server received. */
  record OpenConnection(java.io.OutputStream toServer, Path received) {
    void send(String line) throws IOException {
      toServer.write((line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      toServer.flush();
    }

    /** Whether a line sent now still reaches the server (half a second to arrive). */
    boolean stillCarries(String line) throws Exception {
      try {
        send(line);
      } catch (IOException e) {
        // the client already saw the reset and exited: also a cut connection
      }
      Thread.sleep(500);
      return Files.readString(received).contains(line);
    }
  }

  Process start(String... cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    processes.add(p);
    return p;
  }

  /** Whether a TCP connection from {@code ns} to addr:port succeeds within a second. */
  boolean connects(String ns, String addr, int port, String... ncFlags) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "nc", "-z", "-w", "1"));
    cmd.addAll(List.of(ncFlags));
    cmd.add(addr);
    cmd.add(String.valueOf(port));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    if (!p.waitFor(5, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return false;
    }
    return p.exitValue() == 0;
  }

  static String sh(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }

  static String shQuiet(String... cmd) {
    try {
      return sh(cmd);
    } catch (Exception e) {
      return "";
    }
  }

  /**
   * Namespaces (sandbox and process workload), links in the host ns, set elements and leases
   * that carry this bed's prefix.
   */
  long leftovers() throws Exception {
    long netns;
    try (var s = Files.list(Path.of("/run/netns"))) {
      netns = s.map(f -> f.getFileName().toString())
          .filter(n -> n.startsWith(prefix + "-")
              && n.substring(prefix.length() + 1).matches("w?\\d+"))
          .count();
    }
    long links = sh("ip", "-n", hostNs, "-o", "link", "show").lines()
        .filter(l -> l.contains(prefix + "h")).count();
    String set = shQuiet("ip", "netns", "exec", hostNs, "nft", "-j", "list", "set", "inet", prefix,
        "sandboxes");
    long elements = set.isBlank() ? 0 : HostFirewall.elements(Nft.JSON.readTree(set)).size();
    long leases;
    try (var s = Files.list(stateDir)) {
      leases = s.count();
    }
    return netns + links + elements + leases;
  }

  @Override
  public void close() {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    // The manager's sandbox namespaces too, in case a test failed before detaching.
    try (var s = Files.list(Path.of("/run/netns"))) {
      s.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(prefix + "-"))
          .forEach(n -> shQuiet("ip", "netns", "del", n));
    } catch (IOException e) {
      // nothing to remove
    }
    for (String ns : namespaces) {
      shQuiet("ip", "netns", "del", ns);
    }
    try (var s = Files.walk(stateDir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // temp dir already gone
    }
  }
}
