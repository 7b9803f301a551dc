package io.stockade.supervisor;

import io.stockade.images.DiskFormat;
import io.stockade.images.DownloadProgress;
import io.stockade.images.ImageException;
import io.stockade.images.ImageResolver;
import io.stockade.images.ResolvedImage;
import io.stockade.policy.Authorizer;
import io.stockade.policy.Grant;
import io.stockade.policy.PolicyDeniedException;
import io.stockade.policy.Subject;
import io.stockade.supervisor.config.SupervisorConfig;
import io.stockade.supervisor.net.EgressSpec;
import io.stockade.supervisor.net.NetworkException;
import io.stockade.supervisor.net.NetworkManager;
import io.stockade.supervisor.net.SandboxNetwork;
import io.stockade.supervisor.net.TrafficCounters;
import io.stockade.supervisor.preflight.PreflightReport;
import io.stockade.supervisor.vmm.VmmDriver;
import io.stockade.supervisor.vmm.VmmKind;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Configuration -> the real parts: jail launcher, network manager, image store, one driver per
 * VMM kind, policy loader. The one place that knows the concrete classes, so the rest of the
 * daemon is written against the contracts.
 *
 * <p>Until the jail, net, images, vmm and policy modules' implementations are merged this wires
 * parts that refuse with a clear message (no drivers, no images, no networks, root-only policy).
 */
public final class SupervisorWiring {
  private SupervisorWiring() {}

  public static Wiring build(SupervisorConfig config, PreflightReport.KvmVerdict kvm) {
    Map<VmmKind, VmmDriver> drivers = new EnumMap<>(VmmKind.class);
    return new Wiring(drivers, new NoImages(), new NoNetwork(), RootOnlyPolicy::new);
  }

  /** `stockade-supervisor selftest`: the jail's own checks. Returns the exit status. */
  public static int selfTest() {
    System.err.println("selftest: this build has no jail self-test yet (the jail module is not wired in)");
    return 3;
  }

  /** Used until a policy loader is wired: root may do everything, nobody else anything. */
  static final class RootOnlyPolicy implements Authorizer {
    @Override
    public Optional<Grant> grantFor(Subject subject) {
      return Optional.empty();
    }

    @Override
    public void checkCreate(Subject subject, CreateIntent intent, Usage current) throws PolicyDeniedException {
      if (!subject.isRoot()) {
        throw new PolicyDeniedException("no policy is loaded: only root may create sandboxes");
      }
    }
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

  /** Refuses every network: no network manager is wired. */
  static final class NoNetwork implements NetworkManager {
    @Override
    public SandboxNetwork attach(String sandboxId, int jailUid, int jailGid, EgressSpec egress) throws NetworkException {
      throw new NetworkException("attach", "sandbox " + sandboxId + ": this supervisor has no network manager wired");
    }

    @Override
    public void updateEgress(String sandboxId, EgressSpec egress) throws NetworkException {
      throw new NetworkException("update", "no network manager is wired");
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
