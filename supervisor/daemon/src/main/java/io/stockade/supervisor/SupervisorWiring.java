package io.stockade.supervisor;

import io.stockade.images.DiskFormat;
import io.stockade.images.DownloadProgress;
import io.stockade.images.ImageException;
import io.stockade.images.ImageResolver;
import io.stockade.images.ResolvedImage;
import io.stockade.policy.Authorizer;
import io.stockade.policy.PolicyLoader;
import io.stockade.supervisor.config.SupervisorConfig;
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
 * daemon is written against the contracts.
 *
 * <p>Wired today: the policy loader and {@link LinuxNetworkManager}. Not yet (their modules'
 * implementations were not on main when this was written): the jail launcher, hence the drivers
 * (ProcessDriver.create(jail), QemuDriver.create(jail, images, qemu, QemuOptions.of(accel, tsc))),
 * and the image store. Until then those kinds are refused with "no driver is configured".
 */
public final class SupervisorWiring {
  private static final Logger LOG = LoggerFactory.getLogger(SupervisorWiring.class);

  private SupervisorWiring() {}

  public static Wiring build(SupervisorConfig config, PreflightReport.KvmVerdict kvm) {
    Map<VmmKind, VmmDriver> drivers = new EnumMap<>(VmmKind.class);
    // QEMU runs with -accel kvm only when preflight saw a guest boot under KVM; TCG otherwise.
    String accel = kvm == PreflightReport.KvmVerdict.USABLE ? "kvm" : "tcg";
    LOG.debug("QEMU acceleration when its driver is wired: {}", accel);
    return new Wiring(drivers, new NoImages(), network(config), policy(config.path("policyDir")));
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

  /** Refuses every image: no image store is wired. */
  static final class NoImages implements ImageResolver {
    @Override
    public ResolvedImage resolve(String reference, DownloadProgress progress) throws ImageException {
      throw new ImageException("image '" + reference + "': this supervisor has no image store wired");
    }

    @Override
    public Path createWritableDisk(ResolvedImage image, String sandboxId, Path directory, DiskFormat format)
        throws ImageException {
      throw new ImageException("no image store is wired");
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
