package io.stockade.supervisor.lifecycle;

import io.stockade.images.ImageException;
import io.stockade.images.ImageResolver;
import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.net.NetworkException;
import io.stockade.supervisor.net.NetworkManager;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmDriver;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.VmmKind;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs workloads: launch, the graceful stop sequence, and what happens when a workload ends (on
 * its own or because it was stopped). Every end goes through {@link #finishExit}, which releases
 * the jail and network and records how it ended.
 */
final class Runner {
  private static final Logger LOG = LoggerFactory.getLogger(Runner.class);
  static final int SIGTERM = 15;
  /** After SIGKILL of the whole cgroup the process must be gone quickly; this is a safety net. */
  private static final Duration KILL_WAIT = Duration.ofSeconds(10);
  private static final int EXIT_TAIL_LINES = 20;

  private final Map<VmmKind, VmmDriver> drivers;
  /** What a sandbox needs before its workload starts: network, image, data disks. */
  final Provisioner provision;
  private final Persister persister;
  private final ConsoleTailer tailer;
  private final StopBudgets budgets;
  private final LifecycleMetrics metrics;
  private final LifecycleSettings settings;

  /** Saves a sandbox and publishes its state change. */
  interface Persister {
    void changed(Sandbox sb, SandboxState from);
  }

  /** How a stop begins. */
  enum StopMode {
    /** Ask the guest to power off, then SIGTERM, then kill. */
    GRACEFUL,
    /** Kill every process of the sandbox at once. */
    KILL
  }

  Runner(
      Map<VmmKind, VmmDriver> drivers,
      ImageResolver images,
      NetworkManager network,
      Persister persister,
      ConsoleTailer tailer,
      StopBudgets budgets,
      LifecycleMetrics metrics,
      UidReserver uids,
      LifecycleSettings settings) {
    this.settings = settings;
    this.drivers = drivers;
    this.provision = new Provisioner(images, network, uids);
    this.persister = persister;
    this.tailer = tailer;
    this.budgets = budgets;
    this.metrics = metrics;
  }

  VmmDriver driver(String kind) throws LifecycleException {
    VmmDriver d = drivers.get(VmmKind.fromWireName(kind));
    if (d == null) {
      throw LifecycleException.unsupported("no " + kind + " driver is configured on this host");
    }
    return d;
  }

  /** Launches a sandbox that is in state starting; returns when it runs, or throws LaunchFailed. */
  void launch(Sandbox sb, Optional<Path> restoreFrom) throws LifecycleException {
    Instant t0 = Instant.now();
    SandboxSpec spec = sb.spec();
    VmInstance vm;
    String step = "network";
    try {
      VmmDriver driver = driver(spec.kind());
      provision.attachNetwork(sb);
      step = "image";
      Optional<ResolvedImage> image =
          spec.kind().equals(VmmKind.PROCESS.wireName()) ? Optional.empty() : Optional.of(provision.resolveImage(sb));
      step = "data disks";
      List<Path> dataDisks = provision.dataDisks(sb);
      step = "launch";
      sb.console.reopen();
      vm =
          driver.launch(
              new LaunchSpec(
                  sb.id,
                  spec.vcpus(),
                  spec.memoryMiB(),
                  image,
                  spec.command(),
                  sb.network(),
                  sb.dir,
                  Duration.ofSeconds(spec.readyTimeoutSeconds()),
                  restoreFrom,
                  dataDisks,
                  spec.pids() > 0 ? spec.pids() : settings.defaultPids(),
                  spec.ioReadBytesPerSec() > 0 ? spec.ioReadBytesPerSec() : settings.defaultIoReadBytesPerSec(),
                  spec.ioWriteBytesPerSec() > 0 ? spec.ioWriteBytesPerSec() : settings.defaultIoWriteBytesPerSec(),
                  spec.cpuList(),
                  spec.openFiles()));
    } catch (VmmException e) {
      throw failLaunch(sb, step, e.getMessage(), e.consoleTail(), e, t0);
    } catch (NetworkException | ImageException e) {
      throw failLaunch(sb, step, e.getMessage(), "", e, t0);
    } catch (RuntimeException e) {
      throw failLaunch(sb, step, e.toString(), "", e, t0);
    }
    long gen = sb.launched(vm);
    tailer.follow(sb.id, vm.consoleLog(), sb.console, false);
    SandboxState from = sb.transition(SandboxState.RUNNING, null, "start");
    persister.changed(sb, from);
    metrics.launched(spec.kind(), Duration.between(t0, Instant.now()), true);
    watch(sb, vm, gen);
  }

  /** Arranges for an exit the supervisor did not ask for to be noticed and cleaned up. */
  void watch(Sandbox sb, VmInstance vm, long gen) {
    vm.onExit().whenComplete((status, err) -> exitedOnItsOwn(sb, vm, gen, status == null ? -1 : status));
  }

  private LifecycleException failLaunch(
      Sandbox sb, String step, String reason, String consoleTail, Throwable cause, Instant t0) {
    LOG.warn("sandbox {} failed to launch at {}: {}", sb.id, step, reason);
    provision.detachNetwork(sb);
    cleanupDriver(sb);
    try {
      sb.recordExit(new ExitInfo(-1, step, reason, consoleTail.lines().toList(), Instant.now().toString()));
      ConsoleArchive.save(sb);
      SandboxState from = sb.transition(SandboxState.FAILED, "launch failed at " + step + ": " + reason, "fail");
      persister.changed(sb, from);
    } catch (LifecycleException e) {
      LOG.error("sandbox {}: could not record failed launch: {}", sb.id, e.getMessage());
    }
    metrics.launched(sb.spec().kind(), Duration.between(t0, Instant.now()), false);
    return LifecycleException.launchFailed(sb.id, step, reason, consoleTail, cause);
  }

  private void exitedOnItsOwn(Sandbox sb, VmInstance vm, long gen, int status) {
    SandboxState target;
    String reason;
    synchronized (sb) {
      SandboxState st = sb.state();
      if (st != SandboxState.RUNNING && st != SandboxState.PAUSED) {
        return; // a stop in progress (or done) records the end itself
      }
      boolean poweredOff = poweredOff(vm);
      target = poweredOff || status == 0 ? SandboxState.STOPPED : SandboxState.FAILED;
      reason = poweredOff ? "guest powered off" : "exited on its own with status " + status;
    }
    finishExit(sb, gen, status, "exited", reason, target);
  }

  /**
   * The stop sequence for a sandbox already in state stopping: ask the guest to power off, wait,
   * SIGTERM, wait, kill everything. Records which step ended it.
   */
  void stop(Sandbox sb, StopMode mode, Duration gracefulOverride, String why) {
    Instant t0 = Instant.now();
    Optional<VmInstance> maybe = sb.instance();
    long gen = sb.generation();
    if (maybe.isEmpty()) {
      finishExit(sb, gen, -1, "exited", why, SandboxState.STOPPED);
      return;
    }
    VmInstance vm = maybe.get();
    Integer status = null;
    String step = "kill";
    if (mode == StopMode.GRACEFUL) {
      step = "shutdown";
      try {
        vm.requestShutdown();
      } catch (VmmException e) {
        LOG.info("sandbox {}: shutdown request failed ({}), going on with SIGTERM", sb.id, e.getMessage());
      }
      status = waitExit(vm, budgets.graceful(gracefulOverride), true);
      if (status == null) {
        step = "sigterm";
        vm.process().signal(SIGTERM);
        status = waitExit(vm, budgets.term(), true);
      }
    }
    if (status == null) {
      step = "kill";
      vm.process().killAll();
      status = waitExit(vm, KILL_WAIT, false);
    }
    boolean poweredOff = status != null && poweredOff(vm);
    String how =
        switch (step) {
          case "shutdown" -> poweredOff ? "guest powered off" : "shut down on request";
          case "sigterm" -> "ended by SIGTERM";
          default -> "killed";
        };
    if (status == null) {
      LOG.error("sandbox {}: still running {} after killing its cgroup", sb.id, KILL_WAIT);
      finishExit(sb, gen, -1, "kill", why + ": did not exit after SIGKILL", SandboxState.FAILED);
    } else {
      finishExit(sb, gen, status, step, why + " (" + how + ")", SandboxState.STOPPED);
    }
    metrics.stopped(sb.spec().kind(), step, Duration.between(t0, Instant.now()));
  }

  /**
   * Whether the guest itself powered off (the VMM saw it). A program's own exit is not a guest
   * power-off, whatever the process driver reports for it: its status decides.
   */
  private static boolean poweredOff(VmInstance vm) {
    return vm.kind() != VmmKind.PROCESS && vm.guestRequestedShutdown();
  }

  /** Waits for the exit status; null after the budget (or at once once hurried, if allowed). */
  private Integer waitExit(VmInstance vm, Duration budget, boolean hurryable) {
    long deadline = System.nanoTime() + budget.toNanos();
    while (true) {
      try {
        return vm.onExit().get(50, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        if (System.nanoTime() >= deadline || (hurryable && budgets.hurried())) {
          return null;
        }
      } catch (ExecutionException e) {
        return -1;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
  }

  /** Records the end of a launch exactly once and releases what it held. */
  void finishExit(Sandbox sb, long gen, int status, String step, String reason, SandboxState target) {
    tailer.finish(sb.id);
    ExitInfo info =
        new ExitInfo(status, step, reason, sb.console.tail(EXIT_TAIL_LINES).lines(), Instant.now().toString());
    if (!sb.ended(gen, info)) {
      return;
    }
    ConsoleArchive.save(sb);
    cleanupDriver(sb);
    provision.detachNetwork(sb);
    try {
      SandboxState from = sb.transition(target, reason, target.wireName());
      persister.changed(sb, from);
    } catch (LifecycleException e) {
      LOG.error("sandbox {}: cannot record its end: {}", sb.id, e.getMessage());
    }
  }

  void cleanupDriver(Sandbox sb) {
    try {
      driver(sb.spec().kind()).cleanup(sb.id);
    } catch (LifecycleException | RuntimeException e) {
      LOG.warn("sandbox {}: driver cleanup failed: {}", sb.id, e.toString());
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!java.nio.file.Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (var walk = java.nio.file.Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        java.nio.file.Files.deleteIfExists(p);
      }
    }
  }
}
