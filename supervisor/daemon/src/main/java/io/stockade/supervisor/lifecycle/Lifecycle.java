package io.stockade.supervisor.lifecycle;

import io.stockade.images.ImageResolver;
import io.stockade.policy.Authorizer;
import io.stockade.policy.Subject;
import io.stockade.supervisor.net.EgressSpec;
import io.stockade.supervisor.net.NetworkException;
import io.stockade.supervisor.net.NetworkManager;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmDriver;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.VmmFeature;
import io.stockade.supervisor.vmm.VmmKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
  private final Requests requests;
  private final Registry registry;
  private final Admission admission;
  private final SnapshotOperations snapshotOps;

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
    this.registry = new Registry(policy, settings);
    this.runner = new Runner(this.drivers, images, network, this::changed, tailer, budgets, metrics,
        uids != null ? uids : registry::allocateUid, settings);
    this.admission = new Admission(runner, registry, policy, settings, this::changed);
    this.snapshotOps = new SnapshotOperations(new Snapshots(settings.snapshotsDir()), registry, runner, admission,
        this::changed, sb -> view(sb, false));
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
    Sandbox sb = admission.admit(caller, spec, null);
    return view(sb, false);
  }

  /** Stops the sandbox if it runs, then removes everything it holds. */
  public SandboxView destroy(Subject caller, String ref) throws LifecycleException {
    Sandbox sb = registry.find(caller, ref);
    SandboxState st = sb.state();
    if (st == SandboxState.RUNNING || st == SandboxState.PAUSED) {
      beginStop(sb, "destroy");
      runner.stop(sb, Runner.StopMode.GRACEFUL, null, "destroyed by uid " + caller.uid());
    }
    SandboxState from = sb.transition(SandboxState.DESTROYED, "destroyed by uid " + caller.uid(), "destroy");
    runner.cleanupDriver(sb);
    runner.provision.detachNetwork(sb);
    images.release(sb.id);
    tailer.finish(sb.id);
    try {
      Runner.deleteTree(sb.dir);
      store.delete(sb.id);
    } catch (IOException e) {
      LOG.error("sandbox {}: cannot remove its files: {}", sb.id, e.toString());
    }
    registry.sandboxes.remove(sb.id);
    registry.releaseUid(sb.id);
    events.publish(event(sb, from));
    return view(sb, false);
  }

  // ---- run and stop ------------------------------------------------------------------------

  public SandboxView start(Subject caller, String ref) throws LifecycleException {
    Sandbox sb = registry.find(caller, ref);
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
    Sandbox sb = registry.find(caller, ref);
    beginStop(sb, "stop");
    runner.stop(
        sb,
        graceful ? Runner.StopMode.GRACEFUL : Runner.StopMode.KILL,
        timeout,
        "stopped by uid " + caller.uid());
    return view(sb, false);
  }

  public SandboxView kill(Subject caller, String ref) throws LifecycleException {
    Sandbox sb = registry.find(caller, ref);
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
    return pauseOrResume(caller, ref, "pause", SandboxState.RUNNING, SandboxState.PAUSED, VmInstance::pause);
  }

  public SandboxView resume(Subject caller, String ref) throws LifecycleException {
    return pauseOrResume(caller, ref, "resume", SandboxState.PAUSED, SandboxState.RUNNING, VmInstance::resume);
  }

  private interface VmOp {
    void apply(VmInstance vm) throws VmmException;
  }

  private SandboxView pauseOrResume(Subject caller, String ref, String op, SandboxState from, SandboxState to, VmOp call)
      throws LifecycleException {
    Sandbox sb = registry.find(caller, ref);
    sb.require(op, from);
    VmInstance vm = sb.instance().orElseThrow(() -> LifecycleException.invalidState(sb.id, sb.state(), op));
    try {
      call.apply(vm);
    } catch (VmmException e) {
      throw vmmError(sb, op, e);
    }
    changed(sb, sb.transition(to, (op.equals("pause") ? "paused" : "resumed") + " by uid " + caller.uid(), op));
    return view(sb, false);
  }

  /**
   * Types into the console of a running sandbox. Only its owner (or root) may: console input is a
   * shell in the guest, which a policy admin's right to manage sandboxes does not extend to.
   */
  public void writeConsole(Subject caller, String ref, byte[] data) throws LifecycleException {
    Sandbox sb = registry.find(caller, ref);
    if (sb.owner.uid() != caller.uid() && !caller.isRoot()) {
      throw LifecycleException.permissionDenied("only the owner of sandbox " + sb.id + " may type into its console");
    }
    sb.require("write to the console of", SandboxState.RUNNING);
    if (!runner.driver(sb.spec().kind()).features().contains(VmmFeature.CONSOLE_INPUT)) {
      throw LifecycleException.unsupported("console input is not supported by " + sb.spec().kind() + " sandboxes");
    }
    VmInstance vm = sb.instance().orElseThrow(() -> LifecycleException.invalidState(sb.id, sb.state(), "write to the console of"));
    try {
      vm.writeConsole(data);
    } catch (VmmException e) {
      throw vmmError(sb, "console write", e);
    }
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
    Sandbox sb = registry.find(caller, ref);
    SandboxSpec old = sb.spec();
    if (!old.network()) {
      throw LifecycleException.invalidParameter("id", "sandbox " + sb.id + " was created without a network");
    }
    SandboxSpec next = requests.validate(old.withEgress(egress, dnsNames == null ? old.dnsNames() : dnsNames));
    synchronized (registry.ownerLock(sb.owner.uid())) {
      admission.authorise(caller, next, sb.id);
      if (sb.network().isPresent()) {
        try {
          network.updateEgress(sb.id, new EgressSpec(next.egress(), next.dnsNames(), next.netRate()));
        } catch (NetworkException e) {
          throw LifecycleException.internal("egress update of " + sb.id + " failed (old rules stay): " + e.getMessage(), e);
        }
      }
      sb.spec(next);
      changed(sb, sb.state()); // persisted; not a state change, so no event
    }
    return view(sb, false);
  }

  /** Snapshot, list and restore. */
  public SnapshotOperations snapshots() {
    return snapshotOps;
  }

  // ---- reading -------------------------------------------------------------------------------

  public List<SandboxView> list(Subject caller) {
    List<SandboxView> out = new ArrayList<>();
    for (Sandbox s : registry.visibleTo(caller)) {
      out.add(view(s, false));
    }
    out.sort(Comparator.comparing(SandboxView::createdAt).thenComparing(SandboxView::id));
    return out;
  }

  public SandboxView get(Subject caller, String ref) throws LifecycleException {
    return view(registry.find(caller, ref), true);
  }

  /** Every sandbox, for monitoring (read-only, root's view). */
  public List<SandboxView> all() {
    return list(new Subject(0, 0, Set.of(0), "root", Set.of("root")));
  }

  public ConsoleBuffer console(Subject caller, String ref) throws LifecycleException {
    return registry.find(caller, ref).console;
  }

  /** The sandbox's id, if the caller may see it. */
  public String resolve(Subject caller, String ref) throws LifecycleException {
    return registry.find(caller, ref).id;
  }

  /** Owners see their own sandboxes; root and policy admins see every one. */
  public boolean visible(Subject caller, int ownerUid) {
    return registry.visible(caller, ownerUid);
  }

  SandboxView view(Sandbox sb, boolean withStats) {
    return sb.view(withStats ? network : null);
  }

  /** How the last run ended (exit step and console tail), for Get and monitoring. */
  public Optional<ExitInfo> exitInfo(Subject caller, String ref) throws LifecycleException {
    return Optional.ofNullable(registry.find(caller, ref).exit());
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
    return new Reconciler(store, runner, tailer, network, settings, registry.sandboxes, this::changed, registry::reserveUid).run();
  }

  /** Stops every running sandbox in parallel, hurrying to kill when the budget runs out. */
  public Drain.Result drain(Duration budget) {
    return new Drain(runner, budgets, registry.sandboxes.values(), this::beginStopQuietly).run(budget);
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

  @Override
  public void close() {
    tailer.close();
  }
}
