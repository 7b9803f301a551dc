package io.stockade.supervisor.net;

import io.stockade.policy.EgressRule;
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

  private final NetConfig config;
  private final Plumbing plumbing;
  private final Commands commands;
  private final SlotLeases leases;
  private final Map<String, Live> live = new ConcurrentHashMap<>();
  private final Set<Integer> inFlight = ConcurrentHashMap.newKeySet();
  private final ExecutorService teardown;
  private final ScheduledExecutorService refresher;
  private final SlotPool pool;
  private final Attacher attacher;

  private LinuxNetworkManager(NetConfig config) throws NetworkException {
    this.config = config;
    this.commands = new Commands(config);
    this.plumbing = new Plumbing(config, commands);
    this.leases = new SlotLeases(config.stateDir(), config.firstSlot(), config.slotCount());
    this.teardown = Executors.newFixedThreadPool(2, daemon("stockade-net-teardown"));
    this.refresher = Executors.newSingleThreadScheduledExecutor(daemon("stockade-net-dns"));
    this.attacher = new Attacher(config, plumbing, new WorkloadLink(commands), leases, live, inFlight);
    this.pool = attacher.pool();
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
    return attacher.attach(sandboxId, jailUid, jailGid, egress);
  }

  /** See {@link Attacher#attachProcess}: a verified attach, then the process's own namespace. */
  @Override
  public SandboxNetwork attachProcess(String sandboxId, int jailUid, int jailGid,
      EgressSpec egress) throws NetworkException {
    return attacher.attachProcess(sandboxId, jailUid, jailGid, egress, this::detach);
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
    attacher.verifySandbox(a, change.expected());
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
