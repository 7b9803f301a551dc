package io.stockade.supervisor.lifecycle;

import io.stockade.supervisor.net.NetworkManager;
import io.stockade.supervisor.vmm.VmInstance;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the registry back after a supervisor restart. For each state file: a workload that should
 * be live is reattached when the driver finds it (pid and start time match), else cleaned up and
 * marked failed (stopped if it was being stopped). Then the network drops whatever belongs to no
 * live sandbox.
 */
public final class Reconciler {
  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

  private final StateStore store;
  private final Runner runner;
  private final ConsoleTailer tailer;
  private final NetworkManager network;
  private final LifecycleSettings settings;
  private final Map<String, Sandbox> sandboxes;
  private final Runner.Persister persister;
  private final BiConsumer<String, Integer> reserveUid;

  /**
   * What reconcile found.
   *
   * @param reattached sandboxes whose workload was still alive
   * @param gone sandboxes whose workload had died meanwhile (cleaned up)
   * @param idle sandboxes that were not running (created, stopped, failed)
   * @param unreadable state files that could not be read (left in place)
   */
  public record Report(List<String> reattached, List<String> gone, List<String> idle, int unreadable) {}

  Reconciler(
      StateStore store, Runner runner, ConsoleTailer tailer, NetworkManager network, LifecycleSettings settings,
      Map<String, Sandbox> sandboxes, Runner.Persister persister, BiConsumer<String, Integer> reserveUid) {
    this.store = store;
    this.runner = runner;
    this.tailer = tailer;
    this.network = network;
    this.settings = settings;
    this.sandboxes = sandboxes;
    this.persister = persister;
    this.reserveUid = reserveUid;
  }

  Report run() throws IOException {
    StateStore.Loaded loaded = store.loadAll();
    List<String> reattached = new ArrayList<>();
    List<String> gone = new ArrayList<>();
    List<String> idle = new ArrayList<>();
    Set<String> liveNetworks = new HashSet<>();
    List<Sandbox> finishStopping = new ArrayList<>();
    for (PersistedSandbox p : loaded.sandboxes()) {
      Sandbox sb = new Sandbox(p, settings.sandboxesDir().resolve(p.id()), settings.consoleLines());
      sandboxes.put(p.id(), sb);
      if (p.jailUid() >= 0) {
        reserveUid.accept(p.id(), p.jailUid());
      }
      if (!p.state().isLive()) {
        ConsoleArchive.load(sb);
        if (p.network() != null) {
          runner.provision.detachNetwork(sb); // recreated by the next Start
          persister.changed(sb, p.state());
        }
        idle.add(p.id());
        continue;
      }
      Optional<VmInstance> vm = reattach(sb, p);
      if (vm.isPresent()) {
        long gen = sb.launched(vm.get());
        tailer.follow(sb.id, vm.get().consoleLog(), sb.console, true);
        SandboxState now = p.state() == SandboxState.PAUSED ? SandboxState.PAUSED : SandboxState.RUNNING;
        sb.restore(now, "reattached after supervisor restart");
        persister.changed(sb, p.state());
        runner.watch(sb, vm.get(), gen);
        if (p.network() != null) {
          liveNetworks.add(p.id());
        }
        if (p.state() == SandboxState.STOPPING) {
          finishStopping.add(sb);
        }
        reattached.add(p.id());
        LOG.info("sandbox {}: reattached to its workload", p.id());
      } else {
        runner.cleanupDriver(sb);
        runner.provision.detachNetwork(sb);
        SandboxState end = p.state() == SandboxState.STOPPING ? SandboxState.STOPPED : SandboxState.FAILED;
        String why = "workload was gone when the supervisor restarted";
        ConsoleArchive.load(sb);
        sb.recordExit(new ExitInfo(-1, "gone", why, List.of(), Instant.now().toString()));
        sb.restore(end, why);
        persister.changed(sb, p.state());
        gone.add(p.id());
        LOG.warn("sandbox {}: {}; cleaned up and marked {}", p.id(), why, end.wireName());
      }
    }
    try {
      network.reconcile(liveNetworks);
    } catch (RuntimeException e) {
      LOG.error("network reconcile failed: {} (stale namespaces or rules may remain)", e.toString());
    }
    for (Sandbox sb : finishStopping) {
      Thread t = new Thread(() -> resumeStop(sb), "resume-stop-" + sb.id);
      t.setDaemon(true);
      t.start();
    }
    return new Report(reattached, gone, idle, loaded.unreadable().size());
  }

  private Optional<VmInstance> reattach(Sandbox sb, PersistedSandbox p) {
    try {
      return runner.driver(p.spec().kind()).reattach(p.id(), p.driverState());
    } catch (LifecycleException | RuntimeException e) {
      LOG.warn("sandbox {}: reattach failed: {}", p.id(), e.toString());
      return Optional.empty();
    }
  }

  /** A stop that the crash interrupted is carried out now. */
  private void resumeStop(Sandbox sb) {
    try {
      persister.changed(sb, sb.transition(SandboxState.STOPPING, "stop resumed after supervisor restart", "stop"));
      runner.stop(sb, Runner.StopMode.GRACEFUL, null, "stop resumed after supervisor restart");
    } catch (LifecycleException e) {
      LOG.info("sandbox {}: stop not resumed: {}", sb.id, e.getMessage());
    }
  }
}
