package io.stockade.supervisor.lifecycle;

import io.stockade.images.ImageException;
import io.stockade.policy.Authorizer;
import io.stockade.policy.CpuList;
import io.stockade.policy.RateLimit;
import io.stockade.policy.PolicyDeniedException;
import io.stockade.policy.QuotaExceededException;
import io.stockade.policy.Subject;
import io.stockade.supervisor.net.NetworkException;
import io.stockade.supervisor.vmm.VmmKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Letting a new sandbox in: the driver can launch, the policy allows it with what the owner
 * already holds, and its directory, image and network are prepared; or nothing of it remains.
 * The owner's lock is held from the policy check until the sandbox is registered, so two
 * concurrent creates cannot both pass one quota.
 */
final class Admission {
  private static final Logger LOG = LoggerFactory.getLogger(Admission.class);

  private final Runner runner;
  private final Registry registry;
  private final Supplier<Authorizer> policy;
  private final LifecycleSettings settings;
  private final Runner.Persister persister;

  Admission(Runner runner, Registry registry, Supplier<Authorizer> policy, LifecycleSettings settings, Runner.Persister persister) {
    this.runner = runner;
    this.registry = registry;
    this.policy = policy;
    this.settings = settings;
    this.persister = persister;
  }

  /** A registered sandbox in state created, for a validated {@code spec}. */
  Sandbox admit(Subject caller, SandboxSpec spec, String restoredFrom) throws LifecycleException {
    if (runner.driver(spec.kind()) instanceof DriverAvailability a && a.unavailableReason().isPresent()) {
      throw LifecycleException.unsupported(a.unavailableReason().get());
    }
    Owner owner = new Owner(caller.uid(), caller.gid(), caller.userName());
    synchronized (registry.ownerLock(caller.uid())) {
      authorise(caller, spec, null);
      spec = effective(caller, spec);
      String id = Ids.newId(registry.sandboxes.keySet());
      if (spec.name().isEmpty()) {
        spec = spec.withName(id);
      } else if (registry.findByName(caller.uid(), spec.name()).isPresent()) {
        throw LifecycleException.invalidParameter("spec.name", "you already have a sandbox named '" + spec.name() + "'");
      }
      Path dir = settings.sandboxesDir().resolve(id);
      Sandbox sb = new Sandbox(id, owner, dir, spec, -1, restoredFrom, settings.consoleLines());
      try {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        if (!spec.kind().equals(VmmKind.PROCESS.wireName())) {
          runner.provision.resolveImage(sb);
        }
        runner.provision.attachNetwork(sb);
        registry.sandboxes.put(id, sb);
        persister.changed(sb, null);
        return sb;
      } catch (ImageException e) {
        undo(sb);
        throw LifecycleException.invalidParameter("spec.image", e.getMessage());
      } catch (NetworkException e) {
        undo(sb);
        throw LifecycleException.launchFailed(id, "network", e.getMessage(), "", e);
      } catch (IOException | RuntimeException e) {
        undo(sb);
        throw LifecycleException.internal("cannot prepare sandbox " + id + ": " + e, e);
      }
    }
  }

  /**
   * What the sandbox really gets where the request left a limit open: the grant's cap or CPUs
   * first (docs/policy.md), then the server's defaults. They are fixed here, so Get shows what
   * the sandbox really has and a restart or a changed default does not change it.
   */
  private SandboxSpec effective(Subject caller, SandboxSpec asked) {
    java.util.Optional<io.stockade.policy.Grant> grant = policy.get().grantFor(caller);
    long read = grant.map(g -> g.ioLimit(asked.ioReadBytesPerSec())).orElse(asked.ioReadBytesPerSec());
    long write = grant.map(g -> g.ioLimit(asked.ioWriteBytesPerSec())).orElse(asked.ioWriteBytesPerSec());
    SandboxSpec spec = asked.withIo(read > 0 ? read : settings.defaultIoReadBytesPerSec(),
        write > 0 ? write : settings.defaultIoWriteBytesPerSec());
    CpuList cpus = grant.map(g -> g.cpusFor(asked.cpuList())).orElse(asked.cpuList());
    if (cpus.isEmpty()) {
      cpus = settings.defaultCpus();
    }
    RateLimit rate = RateLimit.NONE;
    if (asked.network()) {
      rate = grant.map(g -> g.netRateFor(asked.netRate())).orElse(asked.netRate()).orElse(settings.defaultNetRate());
    }
    // The open-files limit is the policy's alone: a request has no say in it.
    return spec.withPlacement(cpus, rate).withOpenFiles(grant.map(io.stockade.policy.Grant::openFiles).orElse(0L));
  }

  private void undo(Sandbox sb) {
    runner.provision.detachNetwork(sb);
    registry.sandboxes.remove(sb.id);
    registry.releaseUid(sb.id);
    try {
      Runner.deleteTree(sb.dir);
    } catch (IOException e) {
      LOG.warn("sandbox {}: cannot remove {}: {}", sb.id, sb.dir, e.toString());
    }
  }

  /**
   * The policy's verdict on {@code spec} with what the caller holds, not counting {@code exclude}
   * (the sandbox being changed). Call with the owner's lock held.
   */
  void authorise(Subject caller, SandboxSpec spec, String exclude) throws LifecycleException {
    try {
      policy.get().checkCreate(caller, Requests.intent(spec), registry.usage(caller.uid(), exclude));
    } catch (QuotaExceededException e) {
      throw LifecycleException.quotaExceeded(e.getMessage());
    } catch (PolicyDeniedException e) {
      throw LifecycleException.policyDenied(e.getMessage());
    }
  }
}
