package io.stockade.supervisor.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stockade.policy.EgressRule;
import java.nio.file.Files;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Create, destroy, crash and reconcile: nothing may stay behind. */
class NetworkLifecycleTest {
  private static final EgressSpec WEB =
      new EgressSpec(List.of(new EgressRule("0.0.0.0/0", "tcp", 443, 443)), List.of());

  private TestBed bed;

  @BeforeEach
  void setUp() throws Exception {
    TestBed.assumeCapable();
    bed = new TestBed();
  }

  @AfterEach
  void tearDown() {
    if (bed != null) {
      bed.close();
    }
  }

  @Test
  void attachBuildsWhatItReportsAndDetachRemovesAll() throws Exception {
    try (LinuxNetworkManager m = LinuxNetworkManager.create(bed.config())) {
      SandboxNetwork n = m.attach("sb-1", 4242, 4343, WEB);
      assertThat(n.netnsPath()).exists();
      String sbx = n.netnsPath().getFileName().toString();
      String tap = TestBed.sh("ip", "-n", sbx, "-d", "link", "show", "tap0");
      assertThat(tap).contains("tun type tap").contains("user 4242").contains("group 4343");
      assertThat(n.kernelIpArgument())
          .isEqualTo("ip=" + n.guestAddress() + "::" + n.gateway()
              + ":255.255.255.252::eth0:off:198.51.100.53");
      assertThat(bed.leftovers()).isEqualTo(4); // netns + host veth + set element + lease
      assertThatThrownBy(() -> m.attach("sb-1", 1, 1, WEB)).isInstanceOf(NetworkException.class);
      m.detach("sb-1");
      m.detach("sb-1");
      assertThat(bed.leftovers()).isZero();
    }
  }

  @Test
  void reconcileAfterACrashRemovesEverything() throws Exception {
    // With spare slots, so that a crash also strands pre-built ones.
    LinuxNetworkManager crashed = LinuxNetworkManager.create(bed.config().withPoolSize(2));
    crashed.attach("sb-1", 4242, 4242, WEB);
    crashed.attach("sb-2", 4242, 4242, WEB);
    SandboxNetwork kept = crashed.attach("sb-3", 4242, 4242, WEB);
    // Let the spare-slot builder finish (it stops at two), so nothing runs on after the "crash".
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
        .until(() -> crashed.spareSlots() == 2);
    // The supervisor dies: the manager is forgotten without detaching anything.
    try (LinuxNetworkManager restarted = LinuxNetworkManager.create(bed.config())) {
      restarted.reconcile(Set.of("sb-3"));
      assertThat(bed.leftovers()).isEqualTo(4);
      assertThat(kept.netnsPath()).exists();
      // The restarted supervisor knows sb-3 from its lease: it can change and read it.
      restarted.updateEgress("sb-3", EgressSpec.NONE);
      assertThat(restarted.counters("sb-3").txPackets()).isGreaterThanOrEqualTo(0);
      assertThatThrownBy(() -> restarted.updateEgress("sb-1", EgressSpec.NONE))
          .isInstanceOf(NetworkException.class);
      restarted.detach("sb-3");
      restarted.reconcile(Set.of());
      assertThat(bed.leftovers()).isZero();
    }
  }

  @Test
  void reconcileRemovesSlotsOfAnAttachKilledMidway() throws Exception {
    NetConfig config = bed.config();
    try (LinuxNetworkManager m = LinuxNetworkManager.create(config)) {
      // What a crash between the steps leaves: a torn (empty) lease, a namespace, a host veth,
      // a namespace without a lease and a host set element without anything else.
      Commands cmd = new Commands(config);
      Plumbing p = new Plumbing(config, cmd);
      Files.writeString(config.stateDir().resolve("slot-7"), "");
      SlotAddresses seven = SlotAddresses.of(config, 7);
      p.createNamespace(seven);
      p.hostLinks(seven);
      p.createNamespace(SlotAddresses.of(config, 8));
      p.applyHost(HostFirewall.element(config, "add", SlotAddresses.of(config, 9)), "test");
      assertThat(bed.leftovers()).isEqualTo(5);
      m.reconcile(Set.of());
      assertThat(bed.leftovers()).isZero();
    }
  }

  @Test
  void aThousandCyclesLeaveNothing() throws Exception {
    LinuxNetworkManager m = LinuxNetworkManager.create(bed.config().withPoolSize(2));
    try {
      for (int i = 0; i < 1000; i++) {
        SandboxNetwork n = m.attach("cycle-" + i, 4242, 4242, WEB);
        assertThat(TestBed.sh("ip", "-n", n.netnsPath().getFileName().toString(), "-d", "link",
            "show", "tap0")).contains("user 4242");
        if (i % 2 == 0) {
          m.detach("cycle-" + i);
        } else {
          m.detachAsync("cycle-" + i).get();
        }
      }
      assertThat(m.netnsPath("cycle-999")).isEmpty();
    } finally {
      m.close(); // removes the spare slots
    }
    assertThat(bed.leftovers()).isZero();
  }

  @Test
  void spareSlotsAreDenyAllAndReconcileKeepsThem() throws Exception {
    try (LinuxNetworkManager m = LinuxNetworkManager.create(bed.config().withPoolSize(3))) {
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
          .until(() -> bed.leftovers() == 3 * 3); // netns + host veth + lease, no element
      m.reconcile(Set.of());
      assertThat(bed.leftovers()).isEqualTo(9);
      SandboxNetwork n = m.attach("sb-1", 4242, 4242, WEB);
      String guest = bed.plugGuest(n);
      bed.listen(bed.inetNs, "0.0.0.0", 443);
      assertThat(bed.connects(guest, "198.51.100.1", 443)).isTrue();
      m.detach("sb-1");
    }
    assertThat(bed.leftovers()).isZero();
  }

  @Test
  void slotsAreUniqueAcrossConcurrentAttaches() throws Exception {
    try (LinuxNetworkManager m = LinuxNetworkManager.create(bed.config())) {
      List<SandboxNetwork> made = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
      List<Thread> threads = new java.util.ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String id = "par-" + i;
        Thread t = new Thread(() -> {
          try {
            made.add(m.attach(id, 4242, 4242, WEB));
          } catch (NetworkException e) {
            throw new IllegalStateException(e);
          }
        });
        t.start();
        threads.add(t);
      }
      for (Thread t : threads) {
        t.join();
      }
      assertThat(made).hasSize(6);
      assertThat(made.stream().map(SandboxNetwork::slot).distinct()).hasSize(6);
      m.reconcile(Set.of());
      assertThat(bed.leftovers()).isZero();
    }
  }

  @Test
  void readBackCatchesATableThatDiffersFromTheModel() throws Exception {
    try (LinuxNetworkManager m = LinuxNetworkManager.create(bed.config())) {
      SandboxNetwork n = m.attach("sb-1", 4242, 4242, WEB);
      NetConfig config = bed.config();
      Plumbing p = new Plumbing(config, new Commands(config));
      SlotAddresses a = SlotAddresses.of(config, n.slot());
      TableModel expected = SandboxFirewall.build(config, a,
          Allowlist.of(WEB.rules(), List.of()), io.stockade.policy.RateLimit.NONE);
      assertThat(expected.verify(p.listSandboxTable(a))).isEmpty();
      // Someone widens the allowlist and flips a policy behind our back.
      String sbx = n.netnsPath().toString();
      TestBed.sh("nsenter", "--net=" + sbx, "nft", "add", "element", "inet", "stockade",
          "allow_tcp", "{ 0.0.0.0/0 . 22 }");
      TestBed.sh("nsenter", "--net=" + sbx, "nft", "add", "chain", "inet", "stockade", "input",
          "{ policy accept; }");
      assertThat(expected.verify(p.listSandboxTable(a)))
          .anyMatch(s -> s.startsWith("set allow_tcp"))
          .anyMatch(s -> s.startsWith("chain input"));
    }
  }

  @Test
  void probeReportsAFirewallThatDoesNotRefuse() throws Exception {
    NetConfig config = bed.config();
    Plumbing p = new Plumbing(config, new Commands(config));
    SlotAddresses a = SlotAddresses.of(config, 42);
    try {
      p.createNamespace(a);
      p.hostLinks(a);
      p.sandboxLinks(a, 4242, 4242);
      assertThat(TapProbe.probe(a, 200)).startsWith("no refusal");
    } finally {
      p.teardown(a);
    }
  }

  @Test
  void withoutAnUplinkTheDefaultRoutesInterfaceIsUsedForNat() throws Exception {
    TestBed.sh("ip", "-n", bed.hostNs, "route", "add", "default", "via", "198.51.100.1");
    NetConfig config = new NetConfig(bed.config().hostNetns(), "10.213.0.0/16", 1, 1000,
        Optional.empty(), Optional.empty(), bed.stateDir, bed.prefix, bed.prefix,
        bed.config().ip(), bed.config().nft(), bed.config().conntrack(), bed.config().nsenter(),
        bed.config().commandTimeout(), bed.config().dnsRefresh(), 0);
    try (LinuxNetworkManager m = LinuxNetworkManager.create(config)) {
      SandboxNetwork n = m.attach("sb-1", 4242, 4242, WEB);
      assertThat(n.dns()).isEmpty();
      String guest = bed.plugGuest(n);
      bed.listen(bed.inetNs, "0.0.0.0", 443);
      // The inet namespace has no route back to the pool: only masquerading makes this work.
      assertThat(bed.connects(guest, "198.51.100.1", 443)).isTrue();
      // No resolver configured: no DNS at all.
      bed.listen(bed.inetNs, "0.0.0.0", 53);
      assertThat(bed.connects(guest, "198.51.100.53", 53)).isFalse();
      m.detach("sb-1");
    }
  }

  @Test
  void anAttachThatFailsLateRemovesWhatItBuilt() throws Exception {
    try (LinuxNetworkManager m = LinuxNetworkManager.create(bed.config())) {
      // uid -1 is no uid: TUNSETOWNER refuses it after namespace, links and table exist.
      assertThatThrownBy(() -> m.attach("sb-1", -1, -1, WEB))
          .isInstanceOf(NetworkException.class)
          .hasMessageContaining("TAP");
      assertThat(bed.leftovers()).isZero();
      m.attach("sb-1", 4242, 4242, WEB);
      m.detach("sb-1");
      assertThat(bed.leftovers()).isZero();
    }
  }
}
