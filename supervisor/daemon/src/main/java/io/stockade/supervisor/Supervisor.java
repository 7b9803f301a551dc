package io.stockade.supervisor;

import io.stockade.policy.Authorizer;
import io.stockade.supervisor.api.ApiLimits;
import io.stockade.supervisor.api.ApiServer;
import io.stockade.supervisor.api.ApiSockets;
import io.stockade.supervisor.api.Dispatcher;
import io.stockade.supervisor.api.PeerSubjects;
import io.stockade.supervisor.config.ConfigException;
import io.stockade.supervisor.config.SupervisorConfig;
import io.stockade.supervisor.lifecycle.Drain;
import io.stockade.supervisor.lifecycle.Lifecycle;
import io.stockade.supervisor.lifecycle.LifecycleSettings;
import io.stockade.supervisor.lifecycle.Reconciler;
import io.stockade.supervisor.lifecycle.StateStore;
import io.stockade.supervisor.monitor.Metrics;
import io.stockade.supervisor.monitor.MonitorServer;
import io.stockade.supervisor.preflight.PreflightReport;
import io.stockade.supervisor.systemd.SdNotify;
import io.stockade.supervisor.systemd.SocketActivation;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of the daemon, as a script: reconcile state, open the socket, tell systemd, serve until
 * SIGTERM, drain, exit. SIGHUP reloads the policy (a broken one keeps the previous in force).
 */
public final class Supervisor {
  private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
  static final String IDL_RESOURCE = "io/stockade/client/io.stockade.Supervisor.varlink";

  private final SupervisorConfig config;
  private final Wiring wiring;
  private final Supplier<PreflightReport> preflight;
  private final AtomicReference<Authorizer> policy = new AtomicReference<>();
  private final CountDownLatch stop = new CountDownLatch(1);
  private final AtomicInteger terms = new AtomicInteger();
  private volatile Lifecycle lifecycle;

  public Supervisor(SupervisorConfig config, Wiring wiring, Supplier<PreflightReport> preflight) {
    this.config = config;
    this.wiring = wiring;
    this.preflight = preflight;
  }

  /** Serves until asked to stop; returns the process exit status. */
  public int run() throws Exception {
    LifecycleSettings settings = settings(); // a wrong default refuses to start before anything binds
    policy.set(wiring.policy().load());
    SdNotify notify = SdNotify.fromEnvironment();
    Metrics metrics = new Metrics();
    // The socket first: binding fails while another supervisor serves it, before this one has
    // touched the state it would share. Clients that connect now wait in the backlog until
    // reconcile is done and the server accepts.
    Optional<AFUNIXServerSocket> inherited = SocketActivation.inherited();
    Path socketPath = config.path("socketPath");
    AFUNIXServerSocket socket =
        inherited.isPresent()
            ? inherited.get()
            : ApiSockets.bind(socketPath, config.string("socketMode"), config.string("socketGroup"));
    StateStore store = new StateStore(config.path("stateDir"));
    lifecycle =
        new Lifecycle(wiring.drivers(), wiring.images(), wiring.network(), policy::get, store, settings, metrics, wiring.uids());
    Reconciler.Report r = lifecycle.reconcile();
    LOG.info("reconciled: {} reattached, {} gone (cleaned up), {} idle, {} unreadable state files",
        r.reattached().size(), r.gone().size(), r.idle().size(), r.unreadable());
    if (wiring.orphans() != null) {
      Set<String> known = new HashSet<>();
      lifecycle.all().forEach(v -> known.add(v.id()));
      List<String> swept = wiring.orphans().sweep(known);
      if (!swept.isEmpty()) {
        LOG.warn("removed {} orphaned jails that no state file names: {}", swept.size(), swept);
      }
    }

    Dispatcher dispatcher = new Dispatcher(lifecycle, policy::get, preflight, Main.version(), interfaceDescription());
    ApiServer api =
        new ApiServer(
            socket, dispatcher, PeerSubjects.system(),
            new ApiLimits((int) config.integer("api.maxConnections"), (int) config.integer("api.maxFrameBytes"),
                config.seconds("api.readTimeoutSeconds")),
            metrics);
    MonitorServer monitor = null;
    installSignals();
    api.start();
    if (!config.string("monitor.listen").isEmpty()) {
      monitor = MonitorServer.start(config.string("monitor.listen"), lifecycle, metrics);
    }
    String where = inherited.isPresent() ? "socket-activated fd 3" : socketPath.toString();
    LOG.info("stockade-supervisor {} serving on {} ({} drivers: {})", Main.version(), where, wiring.drivers().size(), wiring.drivers().keySet());
    notify.ready("serving on " + where + ", " + lifecycle.all().size() + " sandboxes", api::accepting);

    stop.await();

    notify.stopping("draining sandboxes");
    LOG.info("shutting down: no new connections; draining sandboxes within {}s", config.integer("stop.drainSeconds"));
    // Streams stay open during the drain: a `logs -f` follower sees its sandbox power off.
    api.stopAccepting();
    if (monitor != null) {
      monitor.close();
    }
    Drain.Result d = lifecycle.drain(config.seconds("stop.drainSeconds"));
    LOG.info("drain done: {} stopped, {} left, {} ms{}", d.stopped(), d.remaining(), d.took().toMillis(), d.hurried() ? " (budget ran out: killed)" : "");
    api.close();
    lifecycle.close();
    // The network manager keeps spare slots (namespaces, links) ready; closing it removes them.
    closeQuietly(wiring.network());
    closeQuietly(wiring.images());
    if (inherited.isEmpty()) {
      Files.deleteIfExists(socketPath);
    }
    notify.close();
    return 0;
  }

  private static void closeQuietly(Object part) {
    if (part instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("closing {} failed: {}", part.getClass().getSimpleName(), e.toString());
      }
    }
  }

  /** Asks the run loop to shut down (what SIGTERM does). A second request hurries the drain. */
  public void requestStop(String why) {
    if (terms.incrementAndGet() == 1) {
      LOG.info("{}: shutting down", why);
      stop.countDown();
    } else {
      LOG.warn("{} again: killing every sandbox now", why);
      Lifecycle l = lifecycle;
      if (l != null) {
        l.hurry();
      }
    }
  }

  /** SIGHUP: load the policy again; a broken one leaves the current one in force. */
  public void reloadPolicy() {
    try {
      policy.set(wiring.policy().load());
      LOG.info("policy reloaded");
    } catch (Exception e) {
      LOG.error("policy reload failed, the previous policy stays in force: {}", e.getMessage());
    }
  }

  @SuppressWarnings("restriction")
  private void installSignals() {
    sun.misc.Signal.handle(new sun.misc.Signal("TERM"), s -> requestStop("SIGTERM"));
    sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> requestStop("SIGINT"));
    sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> reloadPolicy());
  }

  LifecycleSettings settings() throws ConfigException {
    io.stockade.policy.CpuList cpus = io.stockade.policy.CpuList.parse(config.string("defaults.cpus"));
    java.util.Optional<String> unavailable = io.stockade.supervisor.lifecycle.HostCpus.unavailable(cpus);
    if (unavailable.isPresent()) {
      // Every sandbox that names no CPUs would fail at Start: refuse to start instead.
      throw new ConfigException("defaults.cpus " + cpus + ": " + unavailable.get() + "; fix /defaults/cpus");
    }
    return new LifecycleSettings(
        config.path("sandboxesDir"),
        config.path("snapshotsDir"),
        (int) config.integer("defaults.vcpus"),
        config.integer("defaults.memoryMiB"),
        config.string("defaults.image").isEmpty() ? wiring.defaultImage() : config.string("defaults.image"),
        (int) config.integer("defaults.readyTimeoutSeconds"),
        (int) config.integer("console.lines"),
        (int) config.integer("uidRange.first"),
        (int) config.integer("uidRange.count"),
        config.seconds("stop.gracefulSeconds"),
        config.seconds("stop.termSeconds"),
        config.integer("defaults.pids"),
        config.integer("defaults.ioReadBytesPerSec"),
        config.integer("defaults.ioWriteBytesPerSec"),
        cpus,
        new io.stockade.policy.RateLimit(config.integer("defaults.netBytesPerSec"), config.integer("defaults.netPacketsPerSec")));
  }

  static String interfaceDescription() throws IOException {
    try (InputStream in = Supervisor.class.getClassLoader().getResourceAsStream(IDL_RESOURCE)) {
      if (in == null) {
        return "interface io.stockade.Supervisor\n\nmethod Ping() -> (version: string, protocolVersion: int)\n";
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
