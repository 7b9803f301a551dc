package io.stockade.bench.net;

import io.stockade.policy.EgressRule;
import io.stockade.policy.RateLimit;
import io.stockade.supervisor.net.EgressSpec;
import io.stockade.supervisor.net.LinuxNetworkManager;
import io.stockade.supervisor.net.NetConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Network setup and teardown per sandbox while 1, 100 and 500 sandboxes exist, through
 * {@link LinuxNetworkManager} and, in the same run, the same network built by hand with one
 * {@code ip}/{@code nft} command per step (what a shell script would do). Everything lives in a
 * host namespace the bench creates ({@code stk-ntbn-host}) and is removed at the end.
 *
 * <p>Run: {@code scripts/bench io.stockade.bench.net.NetworkSetupBench [maxSandboxes]}.
 */
public final class NetworkSetupBench {
  private static final String PREFIX = "stk-ntbn";
  private static final String HOST_NS = PREFIX + "-host";
  private static final EgressSpec SPEC = new EgressSpec(List.of(
      new EgressRule("0.0.0.0/0", "tcp", 443, 443),
      new EgressRule("198.51.100.0/24", "tcp", 80, 90),
      new EgressRule("10.20.0.0/16", "udp", 5000, 5001)), List.of());
  /** The same with both rate limits set: four more rules (two per direction). */
  private static final EgressSpec LIMITED =
      new EgressSpec(SPEC.rules(), List.of(), new RateLimit(1_250_000, 10_000));

  private NetworkSetupBench() {}

  public static void main(String[] args) throws Exception {
    int max = args.length > 0 ? Integer.parseInt(args[0]) : 500;
    Path state = Files.createTempDirectory(PREFIX + "-state");
    sh("ip", "netns", "add", HOST_NS);
    try {
      sh("ip", "netns", "exec", HOST_NS, "sysctl", "-qw", "net.ipv4.ip_forward=1");
      NetConfig config = NetConfig.defaults(state)
          .withHostNetns(Path.of("/run/netns", HOST_NS))
          .withNames(PREFIX, PREFIX)
          .withResolver("198.51.100.53")
          .withPool("10.213.0.0/16", 1, 4000);
      System.out.println("population   what                       p50 ms   p99 ms   max ms");
      System.out.println("-- manager, no spare slots (everything built on attach)");
      try (LinuxNetworkManager m = LinuxNetworkManager.create(config.withPoolSize(0))) {
        for (int n : tiers(max)) {
          runManager(m, n, false);
        }
      }
      System.out.println("-- manager, 8 spare slots, attach arriving when a spare is ready");
      try (LinuxNetworkManager m = LinuxNetworkManager.create(config.withPoolSize(8))) {
        for (int n : tiers(max)) {
          runManager(m, n, true);
        }
      }
      flatness(config, max);
      rateLimitCost(config);
      processCost(config);
      System.out.println("-- by hand, one ip/nft command per step");
      for (int n : tiers(max)) {
        runByHand(n);
      }
    } finally {
      cleanup(state);
    }
  }

  private static int[] tiers(int max) {
    return java.util.stream.IntStream.of(1, 100, max).filter(n -> n <= max).distinct().toArray();
  }

  private static void runManager(LinuxNetworkManager m, int n, boolean waitForSpare)
      throws Exception {
    double[] setup = new double[n];
    for (int i = 0; i < n; i++) {
      while (waitForSpare && m.spareSlots() == 0) {
        Thread.sleep(5);
      }
      long t0 = System.nanoTime();
      m.attach("bench-" + i, 4242, 4242, SPEC);
      setup[i] = ms(t0);
    }
    print(n, "manager attach", setup);
    if (n >= 100) {
      print(n, "  first 50 attaches", Arrays.copyOfRange(setup, 0, 50));
      print(n, "  last 50 attaches", Arrays.copyOfRange(setup, n - 50, n));
    }
    // Half synchronous (full teardown measured), half asynchronous (what the create path pays).
    double[] sync = new double[(n + 1) / 2];
    double[] async = new double[n / 2];
    List<CompletableFuture<Void>> pending = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      if (i % 2 == 0) {
        m.detach("bench-" + i);
        sync[i / 2] = ms(t0);
      } else {
        pending.add(m.detachAsync("bench-" + i));
        async[i / 2] = ms(t0);
      }
    }
    long t0 = System.nanoTime();
    CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
    print(n, "manager detach (sync)", sync);
    if (async.length > 0) {
      print(n, "manager detachAsync call", async);
      System.out.printf("%10d   async teardown drain       %.0f ms total%n", n, ms(t0));
    }
  }

  /**
   * The host here is shared with other work, so load drifts during a run and "first 50 vs last
   * 50" mixes population with drift. This phase alternates attaches between a manager whose host
   * namespace holds no sandbox and one whose host namespace holds {@code max}, so both see the
   * same load: the ratio of their medians is the cost of the population alone.
   */
  private static void flatness(NetConfig base, int max) throws Exception {
    String otherHost = PREFIX + "-hst2";
    sh("ip", "netns", "add", otherHost);
    Path otherState = Files.createTempDirectory(PREFIX + "-state2");
    try {
      NetConfig empty = base.withPoolSize(4);
      NetConfig full = base.withHostNetns(Path.of("/run/netns", otherHost))
          .withNames("stk-ntbm", "stk-ntbm").withPoolSize(4);
      full = new NetConfig(full.hostNetns(), full.pool(), full.firstSlot(), full.slotCount(),
          full.uplink(), full.resolver(), otherState, full.namePrefix(), full.hostTable(),
          full.ip(), full.nft(), full.conntrack(), full.nsenter(), full.commandTimeout(),
          full.dnsRefresh(), full.poolSize());
      try (LinuxNetworkManager a = LinuxNetworkManager.create(empty);
          LinuxNetworkManager b = LinuxNetworkManager.create(full)) {
        for (int i = 0; i < max; i++) {
          b.attach("held-" + i, 4242, 4242, SPEC);
        }
        int cycles = 100;
        double[] ta = new double[cycles];
        double[] tb = new double[cycles];
        for (int i = 0; i < cycles; i++) {
          ta[i] = timedCycle(a, "flat-a-" + i);
          tb[i] = timedCycle(b, "flat-b-" + i);
        }
        System.out.println("-- flatness, alternating attaches (spare slots ready) into two hosts");
        print(0, "attach, host holds 0", ta);
        print(max, "attach, host holds " + max, tb);
        double[] sa = ta.clone();
        double[] sb = tb.clone();
        Arrays.sort(sa);
        Arrays.sort(sb);
        System.out.printf("             ratio of medians %.2f%n", pct(sb, 50) / pct(sa, 50));
        b.reconcile(java.util.Set.of());
      }
    } finally {
      shQuiet("ip", "netns", "del", otherHost);
      try (var s = Files.walk(otherState)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  /**
   * Attach with and without rate limits, alternating (spare slots ready) so that both see the
   * same load: the limits add four rules to the batch and to the read-back.
   */
  private static void rateLimitCost(NetConfig base) throws Exception {
    try (LinuxNetworkManager m = LinuxNetworkManager.create(base.withPoolSize(4))) {
      int cycles = 100;
      double[] plain = new double[cycles];
      double[] limited = new double[cycles];
      for (int i = 0; i < cycles; i++) {
        plain[i] = timedCycle(m, "plain-" + i, SPEC);
        limited[i] = timedCycle(m, "limited-" + i, LIMITED);
      }
      System.out.println("-- rate limits, alternating attaches (spare slots ready)");
      print(1, "attach, no rate limit", plain);
      print(1, "attach, bytes+packets", limited);
      Arrays.sort(plain);
      Arrays.sort(limited);
      System.out.printf("             ratio of medians %.2f%n", pct(limited, 50) / pct(plain, 50));
    }
  }

  /**
   * attach (VM) and attachProcess alternating (spare slots ready): what a process sandbox's
   * workload namespace, the swap of its TAP for a veth and the second verification cost.
   */
  private static void processCost(NetConfig base) throws Exception {
    try (LinuxNetworkManager m = LinuxNetworkManager.create(base.withPoolSize(4))) {
      int cycles = 100;
      double[] vm = new double[cycles];
      double[] proc = new double[cycles];
      for (int i = 0; i < cycles; i++) {
        vm[i] = timedCycle(m, "vm-" + i, SPEC);
        while (m.spareSlots() == 0) {
          Thread.sleep(2);
        }
        long t0 = System.nanoTime();
        m.attachProcess("proc-" + i, 4242, 4242, SPEC);
        proc[i] = ms(t0);
        m.detachAsync("proc-" + i).get(1, TimeUnit.MINUTES);
      }
      System.out.println("-- process sandboxes, alternating attaches (spare slots ready)");
      print(1, "attach (VM)", vm);
      print(1, "attachProcess", proc);
      Arrays.sort(vm);
      Arrays.sort(proc);
      System.out.printf("             difference of medians %.1f ms%n", pct(proc, 50) - pct(vm, 50));
    }
  }

  private static double timedCycle(LinuxNetworkManager m, String id) throws Exception {
    return timedCycle(m, id, SPEC);
  }

  private static double timedCycle(LinuxNetworkManager m, String id, EgressSpec spec)
      throws Exception {
    while (m.spareSlots() == 0) {
      Thread.sleep(2);
    }
    long t0 = System.nanoTime();
    m.attach(id, 4242, 4242, spec);
    double ms = ms(t0);
    m.detachAsync(id).get(1, TimeUnit.MINUTES);
    return ms;
  }

  /** The same topology and an equivalent ruleset, one command per step. */
  private static void runByHand(int n) throws Exception {
    sh("ip", "netns", "exec", HOST_NS, "nft", "add", "table", "inet", "byhand");
    sh("ip", "netns", "exec", HOST_NS, "nft", "add", "set", "inet", "byhand", "s",
        "{ type ifname . ipv4_addr; }");
    double[] setup = new double[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      handBuild(i);
      setup[i] = ms(t0);
    }
    print(n, "by hand setup", setup);
    double[] down = new double[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      String ns = PREFIX + "x" + i;
      sh("ip", "netns", "exec", HOST_NS, "nft", "delete", "element", "inet", "byhand", "s",
          "{ \"" + PREFIX + "y" + i + "\" . 10.214." + (i / 32) + "." + (i % 32 * 8 + 6) + " }");
      sh("ip", "-n", HOST_NS, "link", "del", PREFIX + "y" + i);
      sh("ip", "netns", "del", ns);
      down[i] = ms(t0);
    }
    print(n, "by hand teardown", down);
    sh("ip", "netns", "exec", HOST_NS, "nft", "delete", "table", "inet", "byhand");
  }

  private static void handBuild(int i) throws Exception {
    String ns = PREFIX + "x" + i;
    String veth = PREFIX + "y" + i;
    String base = "10.214." + (i / 32) + ".";
    int o = i % 32 * 8;
    sh("ip", "netns", "add", ns);
    sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1",
        "net.ipv6.conf.all.disable_ipv6=1");
    sh("ip", "-n", HOST_NS, "link", "add", veth, "type", "veth", "peer", "name", "up0", "netns", ns);
    sh("ip", "-n", HOST_NS, "addr", "add", base + (o + 1) + "/30", "dev", veth);
    sh("ip", "-n", HOST_NS, "link", "set", veth, "up");
    sh("ip", "-n", HOST_NS, "route", "add", base + (o + 4) + "/30", "via", base + (o + 2), "dev",
        veth, "onlink");
    sh("ip", "-n", ns, "link", "set", "lo", "up");
    sh("ip", "-n", ns, "addr", "add", base + (o + 2) + "/30", "dev", "up0");
    sh("ip", "-n", ns, "link", "set", "up0", "up");
    sh("ip", "-n", ns, "tuntap", "add", "dev", "tap0", "mode", "tap", "user", "4242", "group",
        "4242");
    sh("ip", "-n", ns, "addr", "add", base + (o + 5) + "/30", "dev", "tap0");
    sh("ip", "-n", ns, "link", "set", "tap0", "up");
    sh("ip", "-n", ns, "route", "add", "default", "via", base + (o + 1), "dev", "up0", "onlink");
    String ruleset = String.join("\n",
        "table inet stockade {",
        "  set blocked { type ipv4_addr; flags interval; elements = { 0.0.0.0/8, 10.214.0.0/16,"
            + " 100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/3 } }",
        "  set allow_tcp { type ipv4_addr . inet_service; flags interval;"
            + " elements = { 198.51.100.0/24 . 80-90, 0.0.0.0/0 . 443 } }",
        "  chain prerouting { type filter hook prerouting priority raw; policy accept;",
        "    iifname \"tap0\" ip saddr != " + base + (o + 6) + " drop",
        "  }",
        "  chain forward { type filter hook forward priority filter; policy drop;",
        "    meta nfproto ipv6 drop",
        "    iifname \"tap0\" ip daddr @blocked reject with icmpx admin-prohibited",
        "    iifname \"tap0\" ip daddr . tcp dport @allow_tcp accept",
        "    iifname \"up0\" ct state established,related accept",
        "    iifname \"tap0\" reject with icmpx admin-prohibited",
        "  }",
        "}", "");
    shIn(ruleset, "ip", "netns", "exec", ns, "nft", "-f", "-");
    sh("ip", "netns", "exec", HOST_NS, "nft", "add", "element", "inet", "byhand", "s",
        "{ \"" + veth + "\" . " + base + (o + 6) + " }");
    sh("ip", "netns", "exec", ns, "nft", "list", "table", "inet", "stockade");
  }

  private static void cleanup(Path state) throws Exception {
    try (var s = Files.list(Path.of("/run/netns"))) {
      for (String n : s.map(f -> f.getFileName().toString())
          .filter(f -> f.startsWith(PREFIX) || f.startsWith("stk-ntbm")).toList()) {
        shQuiet("ip", "netns", "del", n);
      }
    }
    try (var s = Files.walk(state)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  private static void print(int population, String what, double[] ms) {
    double[] s = ms.clone();
    Arrays.sort(s);
    System.out.printf("%10d   %-24s %8.1f %8.1f %8.1f%n", population, what, pct(s, 50),
        pct(s, 99), s[s.length - 1]);
  }

  private static double pct(double[] sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  private static double ms(long t0) {
    return (System.nanoTime() - t0) / 1e6;
  }

  private static void sh(String... cmd) throws Exception {
    shIn(null, cmd);
  }

  private static void shIn(String stdin, String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
  }

  private static void shQuiet(String... cmd) {
    try {
      sh(cmd);
    } catch (Exception e) {
      // best effort cleanup
    }
  }
}
