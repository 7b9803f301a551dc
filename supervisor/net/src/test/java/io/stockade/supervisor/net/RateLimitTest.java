package io.stockade.supervisor.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stockade.policy.EgressRule;
import io.stockade.policy.RateLimit;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Rate limits with real packets between the test's namespaces ({@link TestBed}). Floods last
 * {@link #FLOOD}; with a limit of r per second a bucket lets through about burst + bucket refill,
 * so the bounds below are wide (a third to twice that) yet far below what gets through without
 * the limit, which each test measures on the same path.
 */
class RateLimitTest extends ManagerFixture {
  private static final Duration FLOOD = Duration.ofMillis(1500);
  private static final double SECONDS = FLOOD.toMillis() / 1000.0;
  private static final String SERVER = "198.51.100.1";
  private static final int PORT = 9000;

  @Override
  String prefix() {
    return "stk-nrt";
  }

  private static EgressSpec udpAndTcp(RateLimit rate) {
    return new EgressSpec(List.of(new EgressRule("198.51.100.0/24", "udp", PORT, PORT + 10),
        new EgressRule("198.51.100.0/24", "tcp", 80, 80)), List.of(), rate);
  }

  /** Datagrams of {@code size} from the guest to the server during {@link #FLOOD}. */
  private Flood.Count egressFlood(String guest, int size) throws Exception {
    Flood.Receiver r = new Flood.Receiver(Flood.bind(bed.inetNs, SERVER, PORT));
    try (DatagramChannel out = Flood.connect(guest, SERVER, PORT)) {
      long sent = Flood.send(out, size, FLOOD);
      Flood.Count got = r.stop();
      System.out.printf("egress flood of %d-byte datagrams: sent %d, received %d (%d bytes)%n",
          size, sent, got.packets(), got.bytes());
      return got;
    }
  }

  /**
   * The guest sends one datagram; the server answers with datagrams of {@code size} during
   * {@link #FLOOD} (replies: they pass the guest's ingress chain), and the guest counts them.
   */
  private Flood.Count ingressFlood(String guest, int size, int port) throws Exception {
    try (DatagramChannel server = Flood.bind(bed.inetNs, SERVER, port);
        DatagramChannel client = Flood.connect(guest, SERVER, port)) {
      client.write(java.nio.ByteBuffer.wrap(new byte[] {1}));
      java.nio.ByteBuffer hello = java.nio.ByteBuffer.allocate(16);
      var from = server.receive(hello);
      Flood.Receiver r = new Flood.Receiver(client);
      long sent = Flood.sendTo(server, from, size, FLOOD);
      Flood.Count got = r.stop();
      System.out.printf("ingress flood of %d-byte datagrams: sent %d, received %d (%d bytes)%n",
          size, sent, got.packets(), got.bytes());
      return got;
    }
  }

  /** What a bucket of {@code burst} refilled at {@code rate} for a flood lets through. */
  private static double expected(double rate, double bucket) {
    return bucket + rate * SECONDS;
  }

  @Test
  void packetsPerSecondThrottlesEgressAndAnUnlimitedSandboxIsNotThrottled() throws Exception {
    String limited = bed.plugGuest(manager.attach("sb-1", 4242, 4242,
        udpAndTcp(new RateLimit(0, 200))));
    String free = bed.plugGuest(manager.attach("sb-2", 4242, 4242, udpAndTcp(RateLimit.NONE)));

    Flood.Count slow = egressFlood(limited, 32);
    Flood.Count fast = egressFlood(free, 32);

    double e = expected(200, 200); // burst = one second's worth
    assertThat((double) slow.packets()).isBetween(e / 3, e * 2);
    assertThat(fast.packets()).as("the same flood without a limit")
        .isGreaterThan(Math.max(10 * slow.packets(), 5_000));
  }

  @Test
  void bytesPerSecondThrottlesEgress() throws Exception {
    String guest = bed.plugGuest(manager.attach("sb-1", 4242, 4242,
        udpAndTcp(new RateLimit(20_000, 0))));
    Flood.Count got = egressFlood(guest, 1000);
    // The forward path counts IP length (1028); the bucket holds rate + burst (64 KiB).
    double e = expected(20_000, 20_000 + 65_536) / 1028 * 1000;
    assertThat((double) got.bytes()).isBetween(e / 3, e * 2);
  }

  @Test
  void bytesPerSecondThrottlesATcpStream() throws Exception {
    SandboxNetwork n = manager.attach("sb-1", 4242, 4242, udpAndTcp(new RateLimit(2_000, 0)));
    String guest = bed.plugGuest(n);
    Path received = bed.stateDir.resolve("received");
    bed.listen(bed.inetNs, SERVER, 80, received);
    // 400 kB offered; 2 kB/s after a 64 KiB burst lets through well under 80 kB in 2 s.
    bed.start("ip", "netns", "exec", guest, "sh", "-c",
        "head -c 400000 /dev/zero | nc -w 5 " + SERVER + " 80");
    Thread.sleep(2000);
    long got = Files.size(received);
    System.out.printf("TCP stream at 2000 bytes/s: %d bytes in 2 s%n", got);
    assertThat(got).isPositive().isLessThan(80_000);
  }

  @Test
  void aTcpDownloadIsHeldToTheIngressLimit() throws Exception {
    String limited = bed.plugGuest(manager.attach("sb-1", 4242, 4242,
        udpAndTcp(new RateLimit(200_000, 0))));
    long[] slow = Flood.tcpDownload(bed.inetNs, SERVER, limited, 3);
    // bucket 400 kB + 3 s at 200 kB/s; TCP backs off under drops, so the floor is low
    assertThat(slow[0]).isBetween(200_000L, 1_500_000L);
    assertThat(slow[1]).as("the last second").isLessThan(500_000L);
    manager.updateEgress("sb-1", udpAndTcp(RateLimit.NONE));
    long[] fast = Flood.tcpDownload(bed.inetNs, SERVER, limited, 1);
    assertThat(fast[0]).as("the same download without a limit").isGreaterThan(10 * slow[0]);
  }

  @Test
  void repliesAreLimitedOnTheirOwnAndUpdateEgressChangesTheLimit() throws Exception {
    String guest = bed.plugGuest(manager.attach("sb-1", 4242, 4242,
        udpAndTcp(new RateLimit(0, 200))));
    // One datagram out, a flood of replies in: only the ingress bucket can hold them back.
    Flood.Count packets = ingressFlood(guest, 32, PORT + 1);
    double e = expected(200, 200);
    assertThat((double) packets.packets()).isBetween(e / 3, e * 2);

    manager.updateEgress("sb-1", udpAndTcp(new RateLimit(20_000, 0)));
    Flood.Count bytes = ingressFlood(guest, 1000, PORT + 2);
    double eb = expected(20_000, 20_000 + 65_536) / 1028 * 1000;
    assertThat((double) bytes.bytes()).isBetween(eb / 3, eb * 2);

    manager.updateEgress("sb-1", udpAndTcp(RateLimit.NONE));
    Flood.Count free = ingressFlood(guest, 32, PORT + 3);
    assertThat(free.packets()).as("without a limit")
        .isGreaterThan(Math.max(10 * packets.packets(), 5_000));
    Flood.Count freeOut = egressFlood(guest, 32);
    assertThat(freeOut.packets()).isGreaterThan(5_000);

    manager.updateEgress("sb-1", udpAndTcp(new RateLimit(0, 200)));
    Flood.Count again = egressFlood(guest, 32);
    assertThat((double) again.packets()).as("limited again").isBetween(e / 3, e * 2);
  }

  @Test
  void readBackFailsClosedWhenALimitIsMissingOrChanged() throws Exception {
    RateLimit rate = new RateLimit(20_000, 200);
    SandboxNetwork n = manager.attach("sb-1", 4242, 4242, udpAndTcp(rate));
    NetConfig config = bed.config();
    Plumbing p = new Plumbing(config, new Commands(config));
    try {
      SlotAddresses a = SlotAddresses.of(config, n.slot());
      TableModel expected = SandboxFirewall.build(config, a,
          Allowlist.of(udpAndTcp(rate).rules(), List.of()), rate);
      assertThat(expected.verify(p.listSandboxTable(a))).isEmpty();

      // Someone removes the byte limit on replies...
      String net = "--net=" + n.netnsPath();
      TestBed.sh("nsenter", net, "nft", "delete", "rule", "inet", "stockade", "ingress",
          "handle", handle(net, "ingress", "bytes/second"));
      assertThat(expected.verify(p.listSandboxTable(a)))
          .anyMatch(s -> s.startsWith("chain ingress has rules [limit over 200 packets/second"));
      // ... and loosens the packet limit on egress: same verdict, another bucket.
      TestBed.sh("nsenter", net, "nft", "replace", "rule", "inet", "stockade", "egress",
          "handle", handle(net, "egress", "/second burst 200 packets"),
          "limit", "rate", "over", "2000/second", "burst", "200", "packets", "drop");
      assertThat(expected.verify(p.listSandboxTable(a)))
          .anyMatch(s -> s.startsWith("chain egress has rules [limit over 2000 packets/second"));

      // The manager's own change puts both back (and checks them).
      manager.updateEgress("sb-1", udpAndTcp(rate));
      assertThat(expected.verify(p.listSandboxTable(a))).isEmpty();
    } finally {
      p.close();
    }
  }

  @Test
  void aTableFromBeforeRateLimitsGetsThemOnTheNextUpdate() throws Exception {
    SandboxNetwork n = manager.attach("sb-1", 4242, 4242, udpAndTcp(RateLimit.NONE));
    // The forward chain as it was before rate limits: replies accepted there, no ingress chain.
    String net = "--net=" + n.netnsPath();
    String old = String.join("\n",
        "flush chain inet stockade forward",
        "delete chain inet stockade ingress",
        "add rule inet stockade forward meta nfproto ipv6 drop",
        "add rule inet stockade forward iifname \"tap0\" oifname \"up0\" jump egress",
        "add rule inet stockade forward iifname \"up0\" oifname \"tap0\""
            + " ct state established,related counter name \"rx\" accept", "");
    Path script = Files.createTempFile(bed.prefix + "-old", ".nft");
    try {
      Files.writeString(script, old);
      TestBed.sh("nsenter", net, "nft", "-f", script.toString());
    } finally {
      Files.delete(script);
    }
    assertThat(TestBed.sh("nsenter", net, "nft", "list", "chains")).doesNotContain("ingress");

    RateLimit rate = new RateLimit(20_000, 200);
    manager.updateEgress("sb-1", udpAndTcp(rate)); // verifies its read-back, or throws
    assertThat(TestBed.sh("nsenter", net, "nft", "list", "chain", "inet", "stockade", "ingress"))
        .contains("limit rate over 200/second burst 200 packets drop");
  }

  private static String handle(String net, String chain, String containing) throws Exception {
    return TestBed.sh("nsenter", net, "nft", "-a", "list", "chain", "inet", "stockade", chain)
        .lines().filter(l -> l.contains(containing)).findFirst()
        .map(l -> l.substring(l.lastIndexOf("# handle ") + 9).strip())
        .orElseThrow(() -> new AssertionError("no rule with " + containing + " in " + chain));
  }

  @Test
  void invalidLimitsAreRefusedBeforeAnythingIsBuiltOrChanged() throws Exception {
    for (RateLimit bad : List.of(new RateLimit(1_499, 0), new RateLimit(0, 9),
        new RateLimit(4_294_967_296L, 0), new RateLimit(0, 10_000_001),
        new RateLimit(Long.MAX_VALUE, 100))) {
      assertThatThrownBy(() -> manager.attach("sb-x", 1, 1, udpAndTcp(bad)))
          .isInstanceOf(NetworkException.class)
          .hasMessageMatching("rate limit (bytes|packets)PerSecond \\d+ is outside \\d+\\.\\.\\d+ .*")
          .satisfies(e -> assertThat(((NetworkException) e).step())
              .isEqualTo("validate rate limit"));
    }
    assertThat(bed.leftovers()).isZero();

    RateLimit good = new RateLimit(1_500, 10);
    SandboxNetwork n = manager.attach("sb-1", 4242, 4242, udpAndTcp(good));
    assertThatThrownBy(() -> manager.updateEgress("sb-1", udpAndTcp(new RateLimit(100, 10))))
        .isInstanceOf(NetworkException.class)
        .hasMessageContaining("bytesPerSecond 100 is outside 1500..4294967295 bytes/s");
    NetConfig config = bed.config();
    Plumbing p = new Plumbing(config, new Commands(config));
    try {
      TableModel kept = SandboxFirewall.build(config, SlotAddresses.of(config, n.slot()),
          Allowlist.of(udpAndTcp(good).rules(), List.of()), good);
      assertThat(kept.verify(p.listSandboxTable(SlotAddresses.of(config, n.slot())))).isEmpty();
    } finally {
      p.close();
    }
  }
}
