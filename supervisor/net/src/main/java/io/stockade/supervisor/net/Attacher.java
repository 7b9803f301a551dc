package io.stockade.supervisor.net;

import io.stockade.policy.EgressRule;
import io.stockade.policy.RateLimit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Building a sandbox's network, verified: {@link #attach} for a VM (a spare slot or one built
 * now, the allowlist, the TAP for the jail's uid, both tables read back, the host element, a
 * probe of the denied path through the TAP) and {@link #attachProcess} (the same, then the
 * workload namespace in the TAP's place, verified again from inside). Whatever fails tears the
 * slot down and releases its lease: fail closed. It owns the pool of spare slots, and shares
 * with {@link LinuxNetworkManager} the sandboxes attached and the slots in flight.
 */
final class Attacher {
  private static final Logger LOG = LoggerFactory.getLogger(Attacher.class);
  /**
   * Generous because the answer needs the kernel's link-watch work (it activates the TAP's queue),
   * which waits for the RTNL lock behind any namespace teardown in progress; usually it takes < 1 ms.
   */
  static final int PROBE_TIMEOUT_MS = 3000;

  private final NetConfig config;
  private final Plumbing plumbing;
  private final WorkloadLink workloads;
  private final SlotLeases leases;
  private final Map<String, Live> live;
  private final Set<Integer> inFlight;
  private final SlotPool pool;

  Attacher(NetConfig config, Plumbing plumbing, WorkloadLink workloads, SlotLeases leases,
      Map<String, Live> live, Set<Integer> inFlight) {
    this.config = config;
    this.plumbing = plumbing;
    this.workloads = workloads;
    this.leases = leases;
    this.live = live;
    this.inFlight = inFlight;
    this.pool = new SlotPool(config.poolSize(), leases, () -> !inFlight.isEmpty(),
        new SlotPool.Builder() {
      @Override
      public void prepare(SlotAddresses a) throws NetworkException {
        Attacher.this.prepare(a);
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

  /** The spare slots, built ahead with {@link #prepare}. */
  SlotPool pool() {
    return pool;
  }

  SandboxNetwork attach(String sandboxId, int jailUid, int jailGid, EgressSpec egress)
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
  SandboxNetwork attachProcess(String sandboxId, int jailUid, int jailGid,
      EgressSpec egress, Consumer<String> detach) throws NetworkException {
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
      detach.accept(sandboxId);
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

  void verifySandbox(SlotAddresses a, TableModel expected) throws NetworkException {
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
}
