package io.stockade.supervisor;

import io.stockade.images.DiskFormat;
import io.stockade.images.DownloadProgress;
import io.stockade.images.ImageException;
import io.stockade.images.Catalog;
import io.stockade.images.ImageResolver;
import io.stockade.images.ImageStore;
import io.stockade.images.ResolvedImage;
import io.stockade.policy.Authorizer;
import io.stockade.policy.PolicyLoader;
import io.stockade.supervisor.config.SupervisorConfig;
import io.stockade.supervisor.jail.JailConfig;
import io.stockade.supervisor.jail.JailException;
import io.stockade.supervisor.jail.JailLauncher;
import io.stockade.supervisor.jail.LinuxJailLauncher;
import io.stockade.supervisor.net.EgressSpec;
import io.stockade.supervisor.net.LinuxNetworkManager;
import io.stockade.supervisor.net.NetConfig;
import io.stockade.supervisor.net.NetworkException;
import io.stockade.supervisor.net.NetworkManager;
import io.stockade.supervisor.net.SandboxNetwork;
import io.stockade.supervisor.net.TrafficCounters;
import io.stockade.supervisor.preflight.PreflightReport;
import io.stockade.supervisor.vmm.VmmDriver;
import io.stockade.supervisor.vmm.VmmKind;
import io.stockade.supervisor.vmm.process.ProcessDriver;
import io.stockade.supervisor.vmm.qemu.QemuDriver;
import io.stockade.supervisor.vmm.qemu.QemuOptions;
import io.stockade.supervisor.vmm.support.HostTsc;
import java.util.ArrayList;
import java.util.List;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configuration -> the real parts: jail launcher, network manager, image store, one driver per
 * VMM kind, policy loader. The one place that knows the concrete classes, so the rest of the
 * daemon is written against the contracts. A part that cannot be built (no exec stage, no nft,
 * no catalog) is logged with its reason and replaced by one that refuses with that reason, so
 * the daemon still serves what it can (and preflight says what is missing).
 */
public final class SupervisorWiring {
  private static final Logger LOG = LoggerFactory.getLogger(SupervisorWiring.class);

  private SupervisorWiring() {}

  public static Wiring build(SupervisorConfig config, PreflightReport.KvmVerdict kvm) {
    Map<VmmKind, VmmDriver> drivers = new EnumMap<>(VmmKind.class);
    ImageResolver images = new NoImages("not built yet");
    String defaultImage = "";
    try {
      Catalog catalog = Catalog.load(existing(config.strings("catalogFiles")));
      defaultImage = catalog.defaultImage().orElse("");
      images = ImageStore.open(config.path("imageDir"), catalog);
    } catch (ImageException | RuntimeException e) {
      LOG.error("image store unavailable: {} (VM sandboxes cannot be created)", e.getMessage());
      images = new NoImages(e.getMessage());
    }
    JailLauncher jail = null;
    try {
      jail = LinuxJailLauncher.create(jailConfig(config));
    } catch (JailException | RuntimeException e) {
      LOG.error("jail launcher unavailable: {} (no sandbox can be launched; run `stockade-supervisor preflight`)", e.getMessage());
    }
    if (jail != null) {
      drivers.put(VmmKind.PROCESS, ProcessDriver.create(jail));
      Path qemu = config.path("vmm.qemu");
      if (Files.isExecutable(qemu)) {
        // QEMU runs with -accel kvm only when preflight saw a guest boot under KVM; TCG otherwise.
        String accel = kvm == PreflightReport.KvmVerdict.USABLE ? "kvm" : "tcg";
        drivers.put(VmmKind.QEMU, QemuDriver.create(jail, images, qemu, QemuOptions.of(accel, HostTsc.khz().orElse(0))));
        LOG.info("QEMU driver: {} with {}", qemu, accel);
      } else {
        LOG.warn("QEMU binary {} not found: qemu sandboxes are unavailable (set vmm.qemu)", qemu);
      }
    }
    JailLauncher j = jail;
    return new Wiring(drivers, images, network(config), policy(config.path("policyDir")),
        j == null ? null : j::reserveUid, defaultImage,
        j == null ? null : known -> sweepJails(config.path("jailsDir"), known, j));
  }

  /**
   * Jails under {@code jailsDir} whose sandbox has no state file (lost, or removed by hand while
   * the workload ran): killed and removed through the jail's own cleanup, uid lease included.
   */
  static List<String> sweepJails(Path jailsDir, Set<String> known, JailLauncher jail) {
    List<String> swept = new ArrayList<>();
    File[] entries = jailsDir.toFile().listFiles(File::isDirectory);
    if (entries == null) {
      return swept;
    }
    for (File f : entries) {
      String id = f.getName();
      if (id.matches("[a-z0-9-]{1,32}") && !known.contains(id)) {
        jail.cleanup(id);
        swept.add(id);
      }
    }
    return swept;
  }

  static JailConfig jailConfig(SupervisorConfig c) {
    JailConfig d = JailConfig.defaults(c.path("stateDir"));
    return new JailConfig(c.path("jailsDir"), d.execStage(), d.nativeDir(), (int) c.integer("uidRange.first"),
        (int) c.integer("uidRange.count"), d.leaseDir(), d.hostRoot(), d.cgroupPrefix(), d.consoleMaxBytes(), d.tmpBytes());
  }

  private static List<Path> existing(List<String> files) {
    List<Path> out = new ArrayList<>();
    for (String f : files) {
      Path p = Path.of(f);
      if (Files.exists(p)) {
        out.add(p);
      } else {
        LOG.info("catalog {} does not exist; skipped", p);
      }
    }
    return out;
  }

  /** The policy directory through the policy module's loader; no directory = only root. */
  static Wiring.PolicySource policy(Path dir) {
    return () -> {
      if (!Files.isDirectory(dir)) {
        LOG.warn("policy directory {} does not exist: only root may use the supervisor", dir);
        return Authorizer.empty();
      }
      return PolicyLoader.forHost().load(dir);
    };
  }

  static NetworkManager network(SupervisorConfig c) {
    if (!c.bool("network.enabled")) {
      LOG.info("network.enabled is false: no sandbox networks, nothing set up on the host");
      return new NoNetwork("network.enabled is false in the configuration");
    }
    NetConfig n = NetConfig.defaults(c.path("stateDir").resolve("net"));
    if (!c.string("network.hostNetns").isEmpty()) {
      n = n.withHostNetns(Path.of(c.string("network.hostNetns")));
    }
    if (!c.string("network.uplink").isEmpty()) {
      n = n.withUplink(c.string("network.uplink"));
    }
    if (!c.string("network.resolver").isEmpty()) {
      n = n.withResolver(c.string("network.resolver"));
    }
    if (!c.string("network.addressPool").equals("10.213.0.0/16")) {
      n = n.withPool(c.string("network.addressPool"), 1, 4000);
    }
    try {
      return LinuxNetworkManager.create(n);
    } catch (NetworkException | RuntimeException e) {
      LOG.error("sandbox networking is unavailable: {} (sandboxes without network still work)", e.getMessage());
      return new NoNetwork(e.getMessage());
    }
  }

  /** `stockade-supervisor selftest`: the jail's own checks. Returns the exit status. */
  public static int selfTest() {
    System.err.println("selftest: this build has no jail self-test yet (the jail module is not wired in)");
    return 3;
  }

  /** Refuses every image, saying why the image store could not be opened. */
  static final class NoImages implements ImageResolver {
    private final String why;

    NoImages(String why) {
      this.why = why;
    }

    @Override
    public ResolvedImage resolve(String reference, DownloadProgress progress) throws ImageException {
      throw new ImageException("image '" + reference + "': the image store is unavailable: " + why);
    }

    @Override
    public Path createWritableDisk(ResolvedImage image, String sandboxId, Path directory, DiskFormat format)
        throws ImageException {
      throw new ImageException("the image store is unavailable: " + why);
    }

    @Override
    public void release(String sandboxId) {}
  }

  /** Refuses every network, saying why the network manager could not be built. */
  static final class NoNetwork implements NetworkManager {
    private final String why;

    NoNetwork(String why) {
      this.why = why;
    }

    @Override
    public SandboxNetwork attach(String sandboxId, int jailUid, int jailGid, EgressSpec egress) throws NetworkException {
      throw new NetworkException("attach", "sandbox " + sandboxId + ": networking is unavailable: " + why);
    }

    @Override
    public void updateEgress(String sandboxId, EgressSpec egress) throws NetworkException {
      throw new NetworkException("update", "networking is unavailable: " + why);
    }

    @Override
    public void detach(String sandboxId) {}

    @Override
    public void reconcile(Set<String> liveIds) {}

    @Override
    public TrafficCounters counters(String sandboxId) {
      return TrafficCounters.UNKNOWN;
    }
  }
}
