package io.stockade.supervisor.net;

import io.stockade.policy.EgressRule;
import io.stockade.policy.RateLimit;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link NetworkManager} on Linux: per sandbox a network namespace holding a TAP (owned by the
 * jail's uid/gid) and one end of a veth pair whose other end is in the host namespace, an nftables
 * table inside the namespace that allows only the sandbox's egress, and one element in the fixed
 * host-side table. See docs/network.md for the topology and what is always blocked.
 *
 * <p>Fail closed: {@link #attach} reads both tables back and compares them with what it meant to
 * install, then probes the denied path through the TAP; any difference or a missing refusal
 * removes everything built and throws.
 */
public final class LinuxNetworkManager implements NetworkManager, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LinuxNetworkManager.class);
  /**
   * Generous because the answer needs the kernel's link-watch work (it activates the TAP's queue),
   * which waits for the RTNL lock behind any namespace teardown in progress; usually it takes < 1 ms.
   */
  static final int PROBE_TIMEOUT_MS = 3000;

  private final NetConfig config;
  private final Plumbing plumbing;
  private final Commands commands;
  private final SlotLeases leases;
  private final Map<String, Live> live = new ConcurrentHashMap<>();
  private final Set<Integer> inFlight = ConcurrentHashMap.newKeySet();
  private final ExecutorService teardown;
  private final ScheduledExecutorService refresher;
  private final SlotPool pool;
  private final WorkloadLink workloads;

  /** A sandbox this manager attached: what its tables were built from. */
  private record Live(SlotAddresses addresses, EgressSpec spec, List<EgressRule> pinned) {}

  private LinuxNetworkManager(NetConfig config) throws NetworkException {
    this.config = config;
    this.commands = new Commands(config);
    this.plumbing = new Plumbing(config, commands);
    this.workloads = new WorkloadLink(commands);
    this.leases = new SlotLeases(config.stateDir(), config.firstSlot(), config.slotCount());
    this.teardown = Executors.newFixedThreadPool(2, daemon("stockade-net-teardown"));
    this.refresher = Executors.newSingleThreadScheduledExecutor(daemon("stockade-net-dns"));
    this.pool = new SlotPool(config.poolSize(), leases, () -> !inFlight.isEmpty(),
        new SlotPool.Builder() {
      @Override
      public void prepare(SlotAddresses a) throws NetworkException {
        LinuxNetworkManager.this.prepare(a);
      }

      @Override
      public void teardown(SlotAddresses a) {
        plumbing.teardown(a);
      }

      @Override
      public SlotAddresses addresses(int slot) {
        return SlotAddresses.of(config, slot);
      }
    });
  }

  /**
   * Installs (or re-installs, keeping its sandbox set) the host table and verifies it. Sandboxes
   * leased by an earlier run are not touched: call {@link #reconcile} with the live ids.
   */
  public static LinuxNetworkManager create(NetConfig config) throws NetworkException {
    try {
      SlotAddresses.of(config, config.firstSlot() + config.slotCount() - 1);
    } catch (IllegalArgumentException e) {
      throw new NetworkException("validate config", e.getMessage()
          + ": use a larger pool or fewer slots (each slot takes a /29)");
    }
    if (config.uplink().isEmpty()) {
      config = Uplink.defaultRoute(config);
    }
    LinuxNetworkManager m = new LinuxNetworkManager(config);
    TableModel host = HostFirewall.build(config);
    m.plumbing.applyHost(host.batch, "install host table");
    List<String> problems = host.verify(m.plumbing.listHostTable());
    if (!problems.isEmpty()) {
      throw new NetworkException("verify host table", "host table " + config.hostTable()
          + " differs from what was installed: " + problems
          + ": another program may be changing it; check `nft list table inet "
          + config.hostTable() + "`");
    }
    long refresh = config.dnsRefresh().toMillis();
    m.refresher.scheduleWithFixedDelay(m::refreshPins, refresh, refresh, TimeUnit.MILLISECONDS);
    m.pool.refill();
    return m;
  }

  @Override
  public SandboxNetwork attach(String sandboxId, int jailUid, int jailGid, EgressSpec egress)
      throws NetworkException {
    if (sandboxId.isEmpty() || sandboxId.startsWith("@")) {
      throw new NetworkException("attach", "sandbox id '" + sandboxId + "' is empty or starts"
          + " with '@' (reserved for spare slots)");
    }
    if (live.containsKey(sandboxId) || leases.find(sandboxId).isPresent()) {
      throw new NetworkException("attach", "sandbox " + sandboxId
          + " already has a network: detach it first");
    }
    RateBounds.check(egress.rate());
    List<EgressRule> pinned = Pins.resolve(egress.dnsNames());
    Allowlist allow = Allowlist.of(egress.rules(), pinned);
    long[] t = new long[7];
    t[0] = System.nanoTime();
    SlotAddresses a = pool.take();
    boolean fromPool = a != null;
    int slot;
    if (fromPool) {
      slot = a.slot();
      inFlight.add(slot);
      pool.handedOut(a);
    } else {
      slot = leases.acquire(sandboxId);
      inFlight.add(slot);
      a = SlotAddresses.of(config, slot);
    }
    try {
      if (!fromPool) {
        prepare(a);
      }
      t[1] = System.nanoTime();
      leases.assign(slot, sandboxId);
      SandboxFirewall.Change change =
          SandboxFirewall.swap(config, a, allow, egress.rate());
      t[2] = System.nanoTime();
      Plumbing.Activated act = plumbing.activate(a, jailUid, jailGid, change.batch());
      try (TapProbe probe = act.probe()) {
        List<String> problems = change.expected().verify(act.table());
        if (!problems.isEmpty()) {
          throw new NetworkException("verify sandbox firewall", "the table read back from "
              + a.netnsPath() + " is not the one installed: " + problems);
        }
        t[3] = System.nanoTime();
        plumbing.applyHost(HostFirewall.element(config, "add", a), "add host element");
        t[4] = System.nanoTime();
        verifyHostElement(a);
        t[5] = System.nanoTime();
        String refusal = probe.probe(PROBE_TIMEOUT_MS);
        t[6] = System.nanoTime();
        if (refusal != null) {
          throw new NetworkException("probe denied egress", "sandbox " + sandboxId + ": "
              + refusal + ": the firewall in " + a.netnsPath() + " does not refuse denied"
              + " traffic; check that the nf_reject modules load and nothing else edits it");
        }
      }
      live.put(sandboxId, new Live(a, egress, pinned));
      if (LOG.isDebugEnabled()) {
        LOG.debug("attach {} slot {}: step times (us) {}", sandboxId, slot, stepMicros(t));
      }
      return new SandboxNetwork(sandboxId, slot, a.netnsPath(), SlotAddresses.TAP, a.guestMac(),
          Ipv4.format(a.guest()), SlotAddresses.LINK_PREFIX, Ipv4.format(a.gateway()),
          config.resolver().map(List::of).orElse(List.of()));
    } catch (NetworkException | RuntimeException e) {
      plumbing.teardown(a);
      leases.release(slot);
      throw e;
    } finally {
      inFlight.remove(slot);
    }
  }

  /**
   * Attaches as for a VM (verified, probed through the real TAP), then gives the process its
   * workload namespace in the TAP's place ({@link WorkloadLink}) and verifies again: the table
   * read back must still be the one installed, the host element present, and a connect from
   * inside the workload namespace to a denied address refused. Any failure detaches everything.
   */
  @Override
  public SandboxNetwork attachProcess(String sandboxId, int jailUid, int jailGid,
      EgressSpec egress) throws NetworkException {
    SandboxNetwork vm = attach(sandboxId, jailUid, jailGid, egress);
    long t0 = System.nanoTime();
    // Still being attached: spare-slot builds wait (latency first) and reconcile keeps it.
    inFlight.add(vm.slot());
    try {
      SlotAddresses a = SlotAddresses.of(config, vm.slot());
      workloads.plug(a);
      long t1 = System.nanoTime();
      Live l = live.get(sandboxId);
      verifySandbox(a, SandboxFirewall.build(config, a,
          Allowlist.of(l.spec().rules(), l.pinned()), l.spec().rate()));
      verifyHostElement(a);
      long t2 = System.nanoTime();
      String refusal = workloads.probe(a, PROBE_TIMEOUT_MS);
      if (refusal != null) {
        throw new NetworkException("probe denied egress", "process sandbox " + sandboxId + ": "
            + refusal + ": the firewall in " + a.netnsPath() + " does not refuse denied traffic"
            + " from " + a.workloadNetnsPath() + "; check that nothing else edits it");
      }
      LOG.debug("attachProcess {} slot {}: plug={} verify={} probe={} us", sandboxId, vm.slot(),
          (t1 - t0) / 1000, (t2 - t1) / 1000, (System.nanoTime() - t2) / 1000);
      return new SandboxNetwork(sandboxId, vm.slot(), a.workloadNetnsPath(),
          SlotAddresses.WORKLOAD_ETH, vm.mac(), vm.guestAddress(), vm.prefixLength(),
          vm.gateway(), vm.dns());
    } catch (NetworkException | RuntimeException e) {
      detach(sandboxId);
      throw e;
    } finally {
      inFlight.remove(vm.slot());
    }
  }

  /**
   * Builds a slot's deny-all network: namespace, links, a TAP owned by root, the sandbox table
   * with an empty allowlist. Nothing passes until attach fills in the allowlist and adds the host
   * element. Used by the pool ahead of time and by attach when the pool is empty.
   */
  void prepare(SlotAddresses a) throws NetworkException {
    try {
      plumbing.createNamespace(a);
      plumbing.hostLinks(a);
      plumbing.sandboxLinks(a, 0, 0);
      TableModel table = SandboxFirewall.build(config, a, Allowlist.of(List.of(), List.of()),
          RateLimit.NONE);
      plumbing.applySandbox(a, table.batch, "install sandbox firewall");
      verifySandbox(a, table);
    } catch (NetworkException | RuntimeException e) {
      plumbing.teardown(a);
      throw e;
    }
  }

  private static String stepMicros(long[] t) {
    StringBuilder b = new StringBuilder();
    String[] names = {"build", "lease", "tap+allowlist+readback", "hostElement", "verifyHost",
        "probe"};
    for (int i = 1; i < t.length; i++) {
      b.append(names[i - 1]).append('=').append((t[i] - t[i - 1]) / 1000).append(' ');
    }
    return b.toString().strip();
  }

  private void verifySandbox(SlotAddresses a, TableModel expected) throws NetworkException {
    List<String> problems = expected.verify(plumbing.listSandboxTable(a));
    if (!problems.isEmpty()) {
      throw new NetworkException("verify sandbox firewall", "the table read back from "
          + a.netnsPath() + " is not the one installed: " + problems);
    }
  }

  private void verifyHostElement(SlotAddresses a) throws NetworkException {
    String guest = Ipv4.format(a.guest());
    boolean present = plumbing.getHostElement(a)
        .contains("\"" + a.hostVeth() + "\" . " + guest + " ");
    if (!present) {
      throw new NetworkException("verify host element", "host set " + config.hostTable() + " "
          + HostFirewall.SET + " lacks " + a.hostVeth() + " . " + guest + " after adding it");
    }
  }

  @Override
  public void updateEgress(String sandboxId, EgressSpec egress) throws NetworkException {
    Live current = lookup(sandboxId);
    if (current == null) {
      throw new NetworkException("update egress", "sandbox " + sandboxId
          + " has no network (no lease in " + config.stateDir() + "): attach it first");
    }
    RateBounds.check(egress.rate());
    List<EgressRule> pinned = Pins.resolve(egress.dnsNames());
    apply(sandboxId, current.addresses(), egress, pinned);
  }

  private synchronized void apply(String id, SlotAddresses a, EgressSpec egress,
      List<EgressRule> pinned) throws NetworkException {
    Allowlist allow = Allowlist.of(egress.rules(), pinned);
    SandboxFirewall.Change change =
        SandboxFirewall.swap(config, a, allow, egress.rate());
    plumbing.applySandbox(a, change.batch(), "replace egress allowlist");
    verifySandbox(a, change.expected());
    live.put(id, new Live(a, egress, pinned));
    new ConntrackCutter(commands, config).cut(a, allow);
  }

  private void refreshPins() {
    live.forEach((id, l) -> {
      if (l.spec().dnsNames().isEmpty()) {
        return;
      }
      try {
        List<EgressRule> pinned = Pins.resolve(l.spec().dnsNames());
        if (!pinned.equals(l.pinned())) {
          apply(id, l.addresses(), l.spec(), pinned);
        }
      } catch (NetworkException | RuntimeException e) {
        LOG.warn("refreshing DNS pins of sandbox {} failed (old addresses stay): {}", id,
            e.getMessage());
      }
    });
  }

  /**
   * A sandbox attached by this manager, or by an earlier run of the supervisor (known from its
   * lease): its addresses derive from the slot, which is all a change or a counter read needs.
   */
  private Live lookup(String sandboxId) {
    Live l = live.get(sandboxId);
    if (l != null) {
      return l;
    }
    return leases.find(sandboxId)
        .map(slot -> new Live(SlotAddresses.of(config, slot), EgressSpec.NONE, List.<EgressRule>of()))
        .orElse(null);
  }

  @Override
  public void detach(String sandboxId) {
    Live l = live.remove(sandboxId);
    Optional<Integer> slot = l != null ? Optional.of(l.addresses().slot()) : leases.find(sandboxId);
    slot.ifPresent(s -> {
      plumbing.teardown(SlotAddresses.of(config, s));
      leases.release(s);
    });
  }

  /**
   * Detaches on a background thread: the host element is removed before this returns (the
   * sandbox's traffic stops now), the namespace and links go later, the slot's lease last.
   */
  public CompletableFuture<Void> detachAsync(String sandboxId) {
    Live l = live.remove(sandboxId);
    Optional<Integer> slot = l != null ? Optional.of(l.addresses().slot()) : leases.find(sandboxId);
    if (slot.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    SlotAddresses a = SlotAddresses.of(config, slot.get());
    try {
      plumbing.applyHost(HostFirewall.element(config, "delete", a), "remove host element");
    } catch (NetworkException e) {
      // already gone, or the teardown below retries it
    }
    return CompletableFuture.runAsync(() -> {
      plumbing.teardown(a);
      leases.release(a.slot());
    }, teardown);
  }

  @Override
  public void reconcile(Set<String> liveIds) {
    for (String id : List.copyOf(live.keySet())) {
      if (!liveIds.contains(id)) {
        detach(id);
      }
    }
    // Evaluated after the leases were listed: a slot leased meanwhile is in one of these sets.
    new Reconciler(config, plumbing, leases).run(liveIds, () -> {
      Set<Integer> keep = new java.util.HashSet<>(inFlight);
      keep.addAll(pool.slots());
      return keep;
    });
  }

  @Override
  public TrafficCounters counters(String sandboxId) {
    Live l = lookup(sandboxId);
    if (l == null) {
      return TrafficCounters.UNKNOWN;
    }
    try {
      return plumbing.counters(l.addresses());
    } catch (NetworkException e) {
      return TrafficCounters.UNKNOWN;
    }
  }

  /** Pre-built slots ready for the next attach (see {@link NetConfig#poolSize()}). */
  public int spareSlots() {
    return pool.ready();
  }

  /** The namespace path of an attached sandbox (for tests and diagnostics). */
  public Optional<Path> netnsPath(String sandboxId) {
    return Optional.ofNullable(lookup(sandboxId)).map(l -> l.addresses().netnsPath());
  }

  /**
   * Removes the spare slots, waits (bounded) for queued teardowns and stops the background
   * threads. Attached sandboxes stay: they outlive a supervisor restart.
   */
  @Override
  public void close() {
    refresher.shutdownNow();
    pool.close();
    plumbing.close();
    teardown.shutdown();
    try {
      if (!teardown.awaitTermination(30, TimeUnit.SECONDS)) {
        teardown.shutdownNow();
      }
    } catch (InterruptedException e) {
      teardown.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
