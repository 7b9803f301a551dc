package io.stockade.supervisor;

import io.stockade.images.Catalog;
import io.stockade.images.DownloadProgress;
import io.stockade.images.ImageException;
import io.stockade.images.ImageStore;
import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.config.ConfigException;
import io.stockade.supervisor.config.SupervisorConfig;
import io.stockade.supervisor.preflight.CheckResult;
import io.stockade.supervisor.preflight.Preflight;
import io.stockade.supervisor.preflight.PreflightInputs;
import io.stockade.supervisor.preflight.PreflightRenderer;
import io.stockade.supervisor.preflight.PreflightReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;

/** `stockade-supervisor`: run | config --print | preflight | selftest | images | version. */
public final class Main {
  static final String USAGE =
      "usage: stockade-supervisor COMMAND [OPTIONS]\n"
          + "  run [--config FILE] [--foreground] [--set KEY=VALUE]...   serve the API until SIGTERM\n"
          + "  config --print [--config FILE] [--set KEY=VALUE]...     show the effective configuration and origins\n"
          + "  preflight [--json] [--probe-boot] [--config FILE]        check the host\n"
          + "  selftest [--config FILE]                                 run the jail's self-test (a hostile probe)\n"
          + "  images list|pull|remove|gc|import ...                   the image store (see `images --help`)\n"
          + "  version                                                  print the version\n"
          + "Environment: STOCKADE_STATE_DIR, STOCKADE_SOCKET, STOCKADE_POLICY_DIR, ... (see docs/daemon.md)\n";

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, SupervisorWiring::build));
  }

  /** The whole command line; tests pass their own wiring. Returns the exit status. */
  public static int run(String[] args, BiFunction<SupervisorConfig, PreflightReport.KvmVerdict, Wiring> wiring) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
      System.out.print(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    String cmd = args[0];
    // `images` takes positional words before its options: pull NAME, import FILE SHA256, ...
    List<String> words = new ArrayList<>();
    if (cmd.equals("images")) {
      int i = 1;
      for (; i < args.length && !args[i].startsWith("--"); i++) {
        words.add(args[i]);
      }
      if (args.length > i && args[i].equals("--help")) {
        System.out.print(ImagesCommand.USAGE);
        return 0;
      }
      List<String> rest = new ArrayList<>(List.of(cmd));
      rest.addAll(List.of(args).subList(i, args.length));
      args = rest.toArray(new String[0]);
    }
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("stockade-supervisor: " + e.getMessage() + "\n" + USAGE);
      return 2;
    }
    try {
      switch (cmd) {
        case "version":
          System.out.println("stockade-supervisor " + version());
          return 0;
        case "selftest":
          return SupervisorWiring.selfTest(load(o));
        case "config":
          if (!o.print) {
            System.err.println("stockade-supervisor config: use --print\n" + USAGE);
            return 2;
          }
          System.out.print(load(o).print());
          return 0;
        case "preflight":
          return preflightCommand(load(o), o);
        case "run":
          return runCommand(load(o), wiring);
        case "images":
          return ImagesCommand.run(words, load(o), o.json, System.out, System.err);
        default:
          System.err.println("stockade-supervisor: unknown command '" + cmd + "'\n" + USAGE);
          return 2;
      }
    } catch (ConfigException e) {
      System.err.println("stockade-supervisor: " + e.getMessage());
      return 78; // EX_CONFIG
    } catch (Exception e) {
      System.err.println("stockade-supervisor: " + e.getMessage());
      org.slf4j.LoggerFactory.getLogger(Main.class).debug("fatal", e);
      return 1;
    }
  }

  private static SupervisorConfig load(Options o) throws ConfigException {
    return SupervisorConfig.load(o.config, System.getenv(), o.sets);
  }

  private static int runCommand(SupervisorConfig config, BiFunction<SupervisorConfig, PreflightReport.KvmVerdict, Wiring> wiring)
      throws Exception {
    // Start-up uses a cached KVM verdict only: probing here would keep the socket closed for the
    // probe's whole timeout on hosts whose KVM guests hang (measured: 34 s restarts).
    Optional<PreflightReport> report = preflight(config, false, true);
    PreflightReport.KvmVerdict kvm = PreflightReport.KvmVerdict.UNAVAILABLE;
    if (report.isPresent()) {
      kvm = report.get().kvm();
      if (report.get().fatal()) {
        System.err.println("stockade-supervisor: refusing to start, the host cannot run sandboxes:");
        System.err.print(PreflightRenderer.text(report.get()));
        return 3;
      }
    }
    PreflightReport.KvmVerdict verdict = kvm;
    Supervisor s = new Supervisor(config, wiring.apply(config, verdict), () -> preflight(config, false).orElse(
        new PreflightReport(List.of(new CheckResult("preflight", CheckResult.Status.WARN, "preflight checks are not built into this supervisor", "", false)), verdict)));
    return s.run();
  }

  /** Runs preflight; empty when this build has no checks yet (they are not fatal then). */
  static Optional<PreflightReport> preflight(SupervisorConfig c, boolean probeBoot) {
    return preflight(c, probeBoot, false);
  }

  static Optional<PreflightReport> preflight(SupervisorConfig c, boolean probeBoot, boolean cachedVerdictOnly) {
    Map<String, Path> bins = new LinkedHashMap<>();
    bins.put("qemu", c.path("vmm.qemu"));
    bins.put("firecracker", c.path("vmm.firecracker"));
    bins.put("cloud-hypervisor", c.path("vmm.cloud-hypervisor"));
    Optional<ResolvedImage> probe = bootProbeImage(c);
    PreflightInputs in =
        new PreflightInputs(
            c.path("stateDir"), c.path("imageDir"), c.path("runDir"), bins, Set.copyOf(c.strings("preflight.neededKinds")),
            probe.map(ResolvedImage::kernel), probe.flatMap(ResolvedImage::initrd),
            probe.map(ResolvedImage::readyLine).orElse(c.string("preflight.bootProbeReadyLine")),
            c.path("stateDir").resolve("kvm-probe.json"), probeBoot,
            c.seconds("preflight.bootProbeTimeoutSeconds"),
            c.string("network.hostNetns").isEmpty() ? Optional.empty() : Optional.of(Path.of(c.string("network.hostNetns"))),
            preflightNetwork(c),
            cachedVerdictOnly,
            policyDemands(c));
    try {
      return Optional.of(Preflight.run(in));
    } catch (UnsupportedOperationException e) {
      org.slf4j.LoggerFactory.getLogger(Main.class).warn("preflight checks are not available in this build: {}", e.getMessage());
      return Optional.empty();
    }
  }

  /** What the policy in policyDir and the defaults ask of the host; a policy that does not load says why. */
  private static io.stockade.supervisor.preflight.PolicyDemands policyDemands(SupervisorConfig c) {
    List<io.stockade.policy.Authorizer.SourcedGrant> grants = List.of();
    Optional<String> problem = Optional.empty();
    try {
      grants = SupervisorWiring.policy(c.path("policyDir")).load().grants();
    } catch (Exception e) {
      problem = Optional.of(e.getMessage());
    }
    return new io.stockade.supervisor.preflight.PolicyDemands(grants, problem,
        io.stockade.policy.CpuList.parse(c.string("defaults.cpus")),
        c.integer("defaults.ioReadBytesPerSec") > 0 || c.integer("defaults.ioWriteBytesPerSec") > 0,
        c.bool("network.enabled"));
  }

  /** The network configuration for the firewall audit; empty when networking is off or invalid. */
  private static Optional<io.stockade.supervisor.net.NetConfig> preflightNetwork(SupervisorConfig c) {
    if (!c.bool("network.enabled")) {
      return Optional.empty();
    }
    try {
      return Optional.of(SupervisorWiring.netConfig(c));
    } catch (IllegalArgumentException e) {
      return Optional.empty(); // the daemon's start logs the reason; preflight checks the rest
    }
  }

  /**
   * What the KVM boot probe boots: the configured kernel, else the default image if the store
   * already holds it whole (preflight never downloads), else nothing (no probe: QEMU uses TCG).
   */
  static Optional<ResolvedImage> bootProbeImage(SupervisorConfig c) {
    String kernel = c.string("preflight.bootProbeKernel");
    if (!kernel.isEmpty()) {
      String initrd = c.string("preflight.bootProbeInitrd");
      return Optional.of(new ResolvedImage("probe", "configured", Path.of(kernel),
          initrd.isEmpty() ? Optional.empty() : Optional.of(Path.of(initrd)), Optional.empty(), "",
          Set.of("qemu"), c.string("preflight.bootProbeReadyLine")));
    }
    try {
      List<Path> catalogs = new ArrayList<>();
      for (String f : c.strings("catalogFiles")) {
        if (java.nio.file.Files.exists(Path.of(f))) {
          catalogs.add(Path.of(f));
        }
      }
      Catalog catalog = Catalog.load(catalogs);
      String name = c.string("defaults.image").isEmpty() ? catalog.defaultImage().orElse("") : c.string("defaults.image");
      if (name.isEmpty() || !java.nio.file.Files.isDirectory(c.path("imageDir"))) {
        return Optional.empty();
      }
      try (ImageStore store = ImageStore.open(c.path("imageDir"), catalog)) {
        String bare = name.contains(":") ? name.substring(0, name.indexOf(':')) : name;
        boolean whole = store.list().stream().anyMatch(s -> s.name().equals(bare) && s.complete());
        return whole ? Optional.of(store.resolve(name, DownloadProgress.NONE)) : Optional.empty();
      }
    } catch (ImageException | RuntimeException e) {
      org.slf4j.LoggerFactory.getLogger(Main.class).info("no image for the KVM boot probe: {}", e.getMessage());
      return Optional.empty();
    }
  }

  private static int preflightCommand(SupervisorConfig c, Options o) throws Exception {
    Optional<PreflightReport> r = preflight(c, o.probeBoot);
    if (r.isEmpty()) {
      System.err.println("stockade-supervisor preflight: the checks are not built into this supervisor yet");
      return 3;
    }
    System.out.print(o.json ? PreflightRenderer.json(r.get()) + "\n" : PreflightRenderer.text(r.get()));
    return r.get().fatal() ? 3 : r.get().anyFailed() ? 1 : 0;
  }

  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-dev" : v;
  }

  /** Parsed options (every command accepts the same set; unknown ones are errors). */
  static final class Options {
    Path config;
    boolean print;
    boolean json;
    boolean probeBoot;
    boolean foreground;
    final Map<String, String> sets = new LinkedHashMap<>();

    static Options parse(String[] args) {
      Options o = new Options();
      List<String> rest = new ArrayList<>(List.of(args).subList(1, args.length));
      for (int i = 0; i < rest.size(); i++) {
        String a = rest.get(i);
        switch (a) {
          case "--config" -> o.config = Path.of(value(rest, ++i, a));
          case "--print" -> o.print = true;
          case "--json" -> o.json = true;
          case "--probe-boot" -> o.probeBoot = true;
          case "--foreground" -> o.foreground = true;
          case "--set" -> {
            String kv = value(rest, ++i, a);
            int eq = kv.indexOf('=');
            if (eq <= 0) {
              throw new IllegalArgumentException("--set wants KEY=VALUE, got '" + kv + "'");
            }
            o.sets.put(kv.substring(0, eq), kv.substring(eq + 1));
          }
          default -> throw new IllegalArgumentException("unknown option '" + a + "'");
        }
      }
      return o;
    }

    private static String value(List<String> rest, int i, String flag) {
      if (i >= rest.size()) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      return rest.get(i);
    }
  }
}
