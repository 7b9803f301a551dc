package io.stockade.supervisor.lifecycle;

import io.stockade.images.ImageException;
import io.stockade.images.ImageResolver;
import io.stockade.policy.Authorizer;
import io.stockade.policy.PolicyDeniedException;
import io.stockade.policy.QuotaExceededException;
import io.stockade.policy.Subject;
import io.stockade.supervisor.net.EgressSpec;
import io.stockade.supervisor.net.NetworkException;
import io.stockade.supervisor.net.NetworkManager;
import io.stockade.supervisor.net.TrafficCounters;
import io.stockade.supervisor.jail.ResourceUsage;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmDriver;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.VmmFeature;
import io.stockade.supervisor.vmm.VmmKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry of sandboxes and every operation on them. Callers are {@link Subject}s: a sandbox
 * belongs to the uid that created it; others get NotFound for it (its existence is not leaked),
 * root sees all. Policy is consulted on create and on egress changes.
 */
public final class Lifecycle implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);

  private final Map<VmmKind, VmmDriver> drivers;
  private final ImageResolver images;
  private final NetworkManager network;
  private final Supplier<Authorizer> policy;
  private final StateStore store;
  private final LifecycleSettings settings;
  private final EventBus events = new EventBus();
  private final ConsoleTailer tailer = new ConsoleTailer();
  private final StopBudgets budgets;
  private final Runner runner;
  private final Snapshots snapshots;
  private final Requests requests;
  private final ConcurrentHashMap<String, Sandbox> sandboxes = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Integer, Object> ownerLocks = new ConcurrentHashMap<>();

  public Lifecycle(
      Map<VmmKind, VmmDriver> drivers,
      ImageResolver images,
      NetworkManager network,
      Supplier<Authorizer> policy,
      StateStore store,
      LifecycleSettings settings,
      LifecycleMetrics metrics)
      throws IOException {
    this(drivers, images, network, policy, store, settings, metrics, null);
  }

  /**
   * @param uids leases workload uids ahead of launch (the jail launcher); null = the lifecycle's
   *     own allocation from {@link LifecycleSettings#uidFirst()}
   */
  public Lifecycle(
      Map<VmmKind, VmmDriver> drivers,
      ImageResolver images,
      NetworkManager network,
      Supplier<Authorizer> policy,
      StateStore store,
      LifecycleSettings settings,
      LifecycleMetrics metrics,
      UidReserver uids)
      throws IOException {
    this.drivers = Map.copyOf(drivers);
    this.images = images;
    this.network = network;
    this.policy = policy;
    this.store = store;
    this.settings = settings;
    this.budgets = new StopBudgets(settings.gracefulStop(), settings.termStop());
    this.runner = new Runner(this.drivers, images, network, this::changed, tailer, budgets, metrics,
        uids != null ? uids : this::allocateUid);
    this.snapshots = new Snapshots(settings.snapshotsDir());
    this.requests = new Requests(settings, this.drivers.keySet());
    Files.createDirectories(settings.sandboxesDir(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
  }

  public EventBus events() {
    return events;
  }

  // ---- create and destroy ------------------------------------------------------------------

  /** Validates, authorises and prepares a sandbox (state created); nothing runs yet. */
  public SandboxView create(Subject caller, SandboxSpec requested) throws LifecycleException {
    SandboxSpec spec = requests.validate(requested);
    Sandbox sb = prepare(caller, spec, null);
    return view(sb, false);
  }

  private Sandbox prepare(Subject caller, SandboxSpec spec, String restoredFrom) throws LifecycleException {
    runner.driver(spec.kind());
    Owner owner = new Owner(caller.uid(), caller.gid(), caller.userName());
    synchronized (ownerLocks.computeIfAbsent(caller.uid(), k -> new Object())) {
      authorise(caller, spec, null);
      String id = Ids.newId(sandboxes.keySet());
      if (spec.name().isEmpty()) {
        spec = spec.withName(id);
      } else if (findByName(caller.uid(), spec.name()).isPresent()) {
        throw LifecycleException.invalidParameter("spec.name", "you already have a sandbox named '" + spec.name() + "'");
      }
      Path dir = settings.sandboxesDir().resolve(id);
      Sandbox sb = new Sandbox(id, owner, dir, spec, -1, restoredFrom, settings.consoleLines());
      try {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        if (!spec.kind().equals(VmmKind.PROCESS.wireName())) {
          runner.resolveImage(sb);
        }
        runner.attachNetwork(sb);
        sandboxes.put(id, sb);
        changed(sb, null);
        return sb;
      } catch (ImageException e) {
        undoPrepare(sb);
        throw LifecycleException.invalidParameter("spec.image", e.getMessage());
      } catch (NetworkException e) {
        undoPrepare(sb);
        throw LifecycleException.launchFailed(id, "network", e.getMessage(), "", e);
      } catch (IOException | RuntimeException e) {
        undoPrepare(sb);
        throw LifecycleException.internal("cannot prepare sandbox " + id + ": " + e, e);
      }
    }
  }

  private void undoPrepare(Sandbox sb) {
    runner.detachNetwork(sb);
    sandboxes.remove(sb.id);
    releaseUid(sb.id);
    try {
      Runner.deleteTree(sb.dir);
    } catch (IOException e) {
      LOG.warn("sandbox {}: cannot remove {}: {}", sb.id, sb.dir, e.toString());
    }
  }

  private void authorise(Subject caller, SandboxSpec spec, String exclude) throws LifecycleException {
    int count = 0;
    int vcpus = 0;
    long mem = 0;
    for (Sandbox s : sandboxes.values()) {
      if (s.owner.uid() == caller.uid() && !s.id.equals(exclude)) {
        count++;
        vcpus += s.spec().vcpus();
        mem += s.spec().memoryMiB();
      }
    }
    try {
      policy.get().checkCreate(caller, Requests.intent(spec), new Authorizer.Usage(count, vcpus, mem));
    } catch (PolicyDeniedException e) {
      if (e instanceof QuotaExceededException) {
        throw LifecycleException.quotaExceeded(e.getMessage());
      }
      throw LifecycleException.policyDenied(e.getMessage());
    }
  }

  /** Stops the sandbox if it runs, then removes everything it holds. */
  public SandboxView destroy(Subject caller, String ref) throws LifecycleException {
    Sandbox sb = find(caller, ref);
    SandboxState st = sb.state();
    if (st == SandboxState.RUNNING || st == SandboxState.PAUSED) {
      beginStop(sb, "destroy");
      runner.stop(sb, Runner.StopMode.GRACEFUL, null, "destroyed by uid " + caller.uid());
    }
    SandboxState from = sb.transition(SandboxState.DESTROYED, "destroyed by uid " + caller.uid(), "destroy");
    runner.cleanupDriver(sb);
    runner.detachNetwork(sb);
    images.release(sb.id);
    tailer.finish(sb.id);
    try {
      Runner.deleteTree(sb.dir);
      store.delete(sb.id);
    } catch (IOException e) {
      LOG.error("sandbox {}: cannot remove its files: {}", sb.id, e.toString());
    }
    sandboxes.remove(sb.id);
    releaseUid(sb.id);
    events.publish(event(sb, from));
    return view(sb, false);
  }

  // ---- run and stop ------------------------------------------------------------------------

  public SandboxView start(Subject caller, String ref) throws LifecycleException {
    Sandbox sb = find(caller, ref);
    SandboxState from = sb.transition(SandboxState.STARTING, "started by uid " + caller.uid(), "start");
    changed(sb, from);
    runner.launch(sb, Optional.empty());
    return view(sb, false);
  }

  /**
   * Stops a running or paused sandbox: graceful asks the guest to power off first and waits
   * {@code timeout} (default: the configured budget); otherwise kills at once.
   */
  public SandboxView stop(Subject caller, String ref, Duration timeout, boolean graceful) throws LifecycleException {
    Sandbox sb = find(caller, ref);
    beginStop(sb, "stop");
    runner.stop(
        sb,
        graceful ? Runner.StopMode.GRACEFUL : Runner.StopMode.KILL,
        timeout,
        "stopped by uid " + caller.uid());
    return view(sb, false);
  }

  public SandboxView kill(Subject caller, String ref) throws LifecycleException {
    Sandbox sb = find(caller, ref);
    beginStop(sb, "kill");
    runner.stop(sb, Runner.StopMode.KILL, null, "killed by uid " + caller.uid());
    return view(sb, false);
  }

  private void beginStop(Sandbox sb, String wanted) throws LifecycleException {
    synchronized (sb) {
      sb.require(wanted, SandboxState.RUNNING, SandboxState.PAUSED);
      SandboxState from = sb.transition(SandboxState.STOPPING, wanted + " requested", wanted);
      changed(sb, from);
    }
  }

  public SandboxView pause(Subject caller, String ref) throws LifecycleException {
    Sandbox sb = find(caller, ref);
    sb.require("pause", SandboxState.RUNNING);
    VmInstance vm = sb.instance().orElseThrow(() -> LifecycleException.invalidState(sb.id, sb.state(), "pause"));
    try {
      vm.pause();
    } catch (VmmException e) {
      throw vmmError(sb, "pause", e);
    }
    changed(sb, sb.transition(SandboxState.PAUSED, "paused by uid " + caller.uid(), "pause"));
    return view(sb, false);
  }

  public SandboxView resume(Subject caller, String ref) throws LifecycleException {
    Sandbox sb = find(caller, ref);
    sb.require("resume", SandboxState.PAUSED);
    VmInstance vm = sb.instance().orElseThrow(() -> LifecycleException.invalidState(sb.id, sb.state(), "resume"));
    try {
      vm.resume();
    } catch (VmmException e) {
      throw vmmError(sb, "resume", e);
    }
    changed(sb, sb.transition(SandboxState.RUNNING, "resumed by uid " + caller.uid(), "resume"));
    return view(sb, false);
  }

  static LifecycleException vmmError(Sandbox sb, String op, VmmException e) {
    if (e.unsupported()) {
      return LifecycleException.unsupported(e.getMessage());
    }
    return LifecycleException.internal(op + " of sandbox " + sb.id + " failed: " + e.getMessage(), e);
  }

  /** Replaces the egress allowlist after the policy approved the new rules. */
  public SandboxView updateEgress(Subject caller, String ref, List<io.stockade.policy.EgressRule> egress, List<String> dnsNames)
      throws LifecycleException {
    Sandbox sb = find(caller, ref);
    SandboxSpec old = sb.spec();
    if (!old.network()) {
      throw LifecycleException.invalidParameter("id", "sandbox " + sb.id + " was created without a network");
    }
    SandboxSpec next = requests.validate(old.withEgress(egress, dnsNames == null ? old.dnsNames() : dnsNames));
    synchronized (ownerLocks.computeIfAbsent(sb.owner.uid(), k -> new Object())) {
      authorise(caller, next, sb.id);
      if (sb.network().isPresent()) {
        try {
          network.updateEgress(sb.id, new EgressSpec(next.egress(), next.dnsNames(), 0));
        } catch (NetworkException e) {
          throw LifecycleException.internal("egress update of " + sb.id + " failed (old rules stay): " + e.getMessage(), e);
        }
      }
      sb.spec(next);
      changed(sb, null);
    }
    return view(sb, false);
  }

  // ---- snapshots -----------------------------------------------------------------------------

  public Snapshots.View snapshot(Subject caller, String ref, String name) throws LifecycleException {
    Sandbox sb = find(caller, ref);
    sb.require("snapshot", SandboxState.RUNNING, SandboxState.PAUSED);
    if (!runner.driver(sb.spec().kind()).features().contains(VmmFeature.SNAPSHOT)) {
      throw LifecycleException.unsupported("snapshot is not supported by " + sb.spec().kind() + " sandboxes");
    }
    VmInstance vm = sb.instance().orElseThrow(() -> LifecycleException.invalidState(sb.id, sb.state(), "snapshot"));
    return snapshots.take(sb, name, dir -> {
      try {
        vm.snapshot(dir);
      } catch (VmmException e) {
        throw vmmError(sb, "snapshot", e);
      }
    });
  }

  public List<Snapshots.View> listSnapshots(Subject caller, String ref) throws LifecycleException {
    String sandboxId = ref == null ? null : find(caller, ref).id;
    return snapshots.list(s -> visible(caller, s.ownerUid()) && (sandboxId == null || s.sandboxId().equals(sandboxId)));
  }

  /** Every snapshot, for monitoring. */
  public List<Snapshots.View> allSnapshots() {
    return snapshots.list(s -> true);
  }

  /** A new sandbox with the snapshot's spec, launched from the snapshot. */
  public SandboxView restore(Subject caller, String snapshotRef, String name) throws LifecycleException {
    Snapshots.Located snap =
        snapshots.find(snapshotRef, s -> visible(caller, s.view().ownerUid()))
            .orElseThrow(() -> LifecycleException.notFound(snapshotRef));
    if (!runner.driver(snap.spec().kind()).features().contains(VmmFeature.SNAPSHOT)) {
      throw LifecycleException.unsupported("restore is not supported by " + snap.spec().kind() + " sandboxes");
    }
    Sandbox sb = prepare(caller, snap.spec().withName(name == null ? "" : name), snap.view().id());
    changed(sb, sb.transition(SandboxState.STARTING, "restoring snapshot " + snap.view().id(), "restore"));
    runner.launch(sb, Optional.of(snap.dir()));
    return view(sb, false);
  }

  // ---- reading -------------------------------------------------------------------------------

  public List<SandboxView> list(Subject caller) {
    List<SandboxView> out = new ArrayList<>();
    for (Sandbox s : sandboxes.values()) {
      if (visible(caller, s.owner.uid())) {
        out.add(view(s, false));
      }
    }
    out.sort(Comparator.comparing(SandboxView::createdAt).thenComparing(SandboxView::id));
    return out;
  }

  public SandboxView get(Subject caller, String ref) throws LifecycleException {
    return view(find(caller, ref), true);
  }

  /** Every sandbox, for monitoring (read-only, root's view). */
  public List<SandboxView> all() {
    return list(new Subject(0, 0, Set.of(0), "root", Set.of("root")));
  }

  public ConsoleBuffer console(Subject caller, String ref) throws LifecycleException {
    return find(caller, ref).console;
  }

  /** The sandbox's id, if the caller may see it. */
  public String resolve(Subject caller, String ref) throws LifecycleException {
    return find(caller, ref).id;
  }

  /** Owners see their own sandboxes; root and policy admins see every one. */
  public boolean visible(Subject caller, int ownerUid) {
    return caller.uid() == ownerUid || caller.isRoot() || policy.get().isAdmin(caller);
  }

  private Sandbox find(Subject caller, String ref) throws LifecycleException {
    if (ref == null || ref.isEmpty()) {
      throw LifecycleException.invalidParameter("id", "a sandbox id or name is required");
    }
    Sandbox sb = sandboxes.get(ref);
    if (sb != null && visible(caller, sb.owner.uid())) {
      return sb;
    }
    Optional<Sandbox> byName = findByName(caller.uid(), ref);
    if (byName.isEmpty() && (caller.isRoot() || policy.get().isAdmin(caller))) {
      List<Sandbox> named = sandboxes.values().stream().filter(s -> s.spec().name().equals(ref)).toList();
      byName = named.size() == 1 ? Optional.of(named.get(0)) : Optional.empty();
    }
    return byName.orElseThrow(() -> LifecycleException.notFound(ref));
  }

  private Optional<Sandbox> findByName(int uid, String name) {
    return sandboxes.values().stream()
        .filter(s -> s.owner.uid() == uid && s.spec().name().equals(name))
        .findFirst();
  }

  SandboxView view(Sandbox sb, boolean withStats) {
    SandboxSpec spec = sb.spec();
    ExitInfo exit = sb.exit();
    SandboxView.Stats stats = null;
    if (withStats) {
      ResourceUsage u = sb.instance().map(vm -> vm.process().usage()).orElse(ResourceUsage.UNKNOWN);
      TrafficCounters t = sb.networkRecord() == null ? TrafficCounters.UNKNOWN : network.counters(sb.id);
      stats = new SandboxView.Stats(u.cpuMicros(), u.memoryBytes(), t.txBytes(), t.rxBytes());
    }
    return new SandboxView(
        sb.id, spec.name(), spec.kind(), sb.owner.uid(), sb.state(), sb.reason(),
        exit == null || exit.status() < 0 ? null : exit.status(),
        spec.image().isEmpty() ? null : spec.image(), spec.vcpus(), spec.memoryMiB(), spec.egress(),
        spec.dnsNames(), sb.createdAt, sb.startedAt(), sb.stoppedAt(), sb.networkRecord(), stats);
  }

  /** How the last run ended (exit step and console tail), for Get and monitoring. */
  public Optional<ExitInfo> exitInfo(Subject caller, String ref) throws LifecycleException {
    return Optional.ofNullable(find(caller, ref).exit());
  }

  // ---- durable state, reconcile, drain ------------------------------------------------------

  private void changed(Sandbox sb, SandboxState from) {
    try {
      store.save(sb.persisted());
    } catch (IOException e) {
      LOG.error("sandbox {}: cannot write its state file in {}: {} (state kept in memory)", sb.id, store.directory(), e.toString());
    }
    if (from != sb.state() || from == null) {
      events.publish(event(sb, from));
    }
  }

  private SandboxEvent event(Sandbox sb, SandboxState from) {
    return new SandboxEvent(sb.id, sb.owner.uid(), from, sb.state(), sb.reason(), java.time.Instant.now().toString());
  }

  /** After a restart: reattach live workloads, clean up after dead ones. */
  public Reconciler.Report reconcile() throws IOException {
    return new Reconciler(store, runner, tailer, network, settings, sandboxes, this::changed, this::reserveUid).run();
  }

  /** Stops every running sandbox in parallel, hurrying to kill when the budget runs out. */
  public Drain.Result drain(Duration budget) {
    return new Drain(runner, budgets, sandboxes.values(), this::beginStopQuietly).run(budget);
  }

  /** A second SIGTERM: every stop in progress kills at once. */
  public void hurry() {
    budgets.hurry();
  }

  private boolean beginStopQuietly(Sandbox sb) {
    try {
      beginStop(sb, "stop");
      return true;
    } catch (LifecycleException e) {
      return false;
    }
  }

  // ---- workload uids -------------------------------------------------------------------------

  private final Map<String, Integer> uids = new ConcurrentHashMap<>();

  private synchronized int allocateUid(String id) throws LifecycleException {
    Integer have = uids.get(id);
    if (have != null) {
      return have;
    }
    Set<Integer> used = new HashSet<>(uids.values());
    for (int i = 0; i < settings.uidCount(); i++) {
      int uid = settings.uidFirst() + i;
      if (!used.contains(uid)) {
        uids.put(id, uid);
        return uid;
      }
    }
    throw LifecycleException.quotaExceeded(
        "all " + settings.uidCount() + " workload uids from " + settings.uidFirst() + " are in use: destroy sandboxes or widen uidRange");
  }

  private synchronized void reserveUid(String id, int uid) {
    uids.put(id, uid);
  }

  private synchronized void releaseUid(String id) {
    uids.remove(id);
  }

  @Override
  public void close() {
    tailer.close();
  }
}
