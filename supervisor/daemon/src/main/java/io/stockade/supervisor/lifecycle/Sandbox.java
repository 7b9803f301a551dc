package io.stockade.supervisor.lifecycle;

import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.jail.ResourceUsage;
import io.stockade.supervisor.net.NetworkManager;
import io.stockade.supervisor.net.SandboxNetwork;
import io.stockade.supervisor.net.TrafficCounters;
import io.stockade.supervisor.vmm.VmInstance;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One sandbox's runtime record. Its monitor guards the state and the fields that change with it;
 * long operations (launch, the stop sequence) run outside the monitor while the state (starting,
 * stopping) keeps other operations out.
 */
final class Sandbox {
  final String id;
  final Owner owner;
  final Path dir;
  final String createdAt;
  private int jailUid;
  final String restoredFrom;
  final ConsoleBuffer console;

  private SandboxSpec spec;
  private SandboxState state;
  private String reason;
  private String startedAt;
  private String stoppedAt;
  private VmInstance instance;
  private SandboxNetwork network;
  private PersistedSandbox.NetworkRecord networkRecord;
  private Map<String, String> driverState = Map.of();
  private ExitInfo exit;
  private ResolvedImage image;
  /** Bumped on every launch so a late exit callback of an old launch changes nothing. */
  private long generation;

  Sandbox(String id, Owner owner, Path dir, SandboxSpec spec, int jailUid, String restoredFrom, int consoleLines) {
    this.id = id;
    this.owner = owner;
    this.dir = dir;
    this.spec = spec;
    this.jailUid = jailUid;
    this.restoredFrom = restoredFrom;
    this.createdAt = Instant.now().toString();
    this.state = SandboxState.CREATED;
    this.console = new ConsoleBuffer(consoleLines);
  }

  Sandbox(PersistedSandbox p, Path dir, int consoleLines) {
    this.id = p.id();
    this.owner = p.owner();
    this.dir = dir;
    this.spec = p.spec();
    this.jailUid = p.jailUid();
    this.restoredFrom = p.restoredFrom();
    this.createdAt = p.createdAt();
    this.state = p.state();
    this.reason = p.reason();
    this.startedAt = p.startedAt();
    this.stoppedAt = p.stoppedAt();
    this.driverState = p.driverState();
    this.networkRecord = p.network();
    this.exit = p.exit();
    this.console = new ConsoleBuffer(consoleLines);
  }

  /** What callers see; with {@code stats} from the cgroup and the firewall counters when given the network. */
  SandboxView view(NetworkManager statsFrom) {
    SandboxSpec spec = spec();
    ExitInfo exit = exit();
    SandboxView.Stats stats = null;
    if (statsFrom != null) {
      ResourceUsage u = instance().map(vm -> vm.process().usage()).orElse(ResourceUsage.UNKNOWN);
      TrafficCounters t = networkRecord() == null ? TrafficCounters.UNKNOWN : statsFrom.counters(id);
      stats = new SandboxView.Stats(u.cpuMicros(), u.memoryBytes(), t.txBytes(), t.rxBytes());
    }
    return new SandboxView(
        id, spec.name(), spec.kind(), owner.uid(), state(), reason(),
        exit == null || exit.status() < 0 ? null : exit.status(),
        spec.image().isEmpty() ? null : spec.image(), spec.vcpus(), spec.memoryMiB(), spec.egress(),
        spec.dnsNames(), createdAt, startedAt(), stoppedAt(), networkRecord(), stats,
        new SandboxView.Limits(spec.pids(), spec.ioReadBytesPerSec(), spec.ioWriteBytesPerSec(), spec.cpus(),
            spec.netBytesPerSec(), spec.netPacketsPerSec(), spec.dataDiskMiB(), spec.openFiles()));
  }

  synchronized PersistedSandbox persisted() {
    return new PersistedSandbox(
        PersistedSandbox.VERSION, id, owner, spec, state, reason, createdAt, startedAt, stoppedAt,
        driverState, networkRecord, exit, jailUid, restoredFrom);
  }

  /** Moves to {@code to} if allowed, else throws InvalidState naming the current state. */
  synchronized SandboxState transition(SandboxState to, String why, String wanted) throws LifecycleException {
    if (!state.canMoveTo(to)) {
      throw LifecycleException.invalidState(id, state, wanted);
    }
    SandboxState from = state;
    state = to;
    reason = why;
    if (to == SandboxState.RUNNING && from == SandboxState.STARTING) {
      startedAt = Instant.now().toString();
      stoppedAt = null;
      exit = null;
    }
    if (to == SandboxState.STOPPED || to == SandboxState.FAILED) {
      stoppedAt = Instant.now().toString();
    }
    return from;
  }

  /** Checks that the current state is one of {@code allowed} without changing it. */
  synchronized void require(String wanted, SandboxState... allowed) throws LifecycleException {
    for (SandboxState s : allowed) {
      if (s == state) {
        return;
      }
    }
    throw LifecycleException.invalidState(id, state, wanted);
  }

  synchronized SandboxState state() {
    return state;
  }

  synchronized String reason() {
    return reason;
  }

  synchronized SandboxSpec spec() {
    return spec;
  }

  synchronized void spec(SandboxSpec s) {
    spec = s;
  }

  synchronized Optional<VmInstance> instance() {
    return Optional.ofNullable(instance);
  }

  synchronized long launched(VmInstance vm) {
    instance = vm;
    driverState = vm.persistentState();
    return ++generation;
  }

  synchronized long generation() {
    return generation;
  }

  /** Forgets the workload after it ended; returns false if {@code gen} is not the current launch. */
  synchronized boolean ended(long gen, ExitInfo info) {
    if (gen != generation || instance == null) {
      return false;
    }
    instance = null;
    driverState = Map.of();
    exit = info;
    return true;
  }

  /** Records how a launch failed (there is no instance to forget). */
  synchronized void recordExit(ExitInfo info) {
    exit = info;
  }

  /** Sets the state read back from disk or found at reattach, bypassing the transition check. */
  synchronized void restore(SandboxState s, String why) {
    state = s;
    reason = why;
  }

  synchronized int jailUid() {
    return jailUid;
  }

  synchronized void jailUid(int uid) {
    jailUid = uid;
  }

  synchronized Optional<SandboxNetwork> network() {
    return Optional.ofNullable(network);
  }

  synchronized void network(SandboxNetwork n) {
    network = n;
    networkRecord =
        n == null ? null : new PersistedSandbox.NetworkRecord(n.guestAddress(), n.gateway(), n.mac(), n.slot());
  }

  synchronized PersistedSandbox.NetworkRecord networkRecord() {
    return networkRecord;
  }

  synchronized Map<String, String> driverState() {
    return driverState;
  }

  synchronized ExitInfo exit() {
    return exit;
  }

  synchronized String startedAt() {
    return startedAt;
  }

  synchronized String stoppedAt() {
    return stoppedAt;
  }

  synchronized Optional<ResolvedImage> image() {
    return Optional.ofNullable(image);
  }

  synchronized void image(ResolvedImage i) {
    image = i;
  }
}
