package io.stockade.supervisor;

import io.stockade.images.ImageResolver;
import io.stockade.policy.Authorizer;
import io.stockade.supervisor.lifecycle.UidReserver;
import io.stockade.supervisor.net.NetworkManager;
import io.stockade.supervisor.vmm.VmmDriver;
import io.stockade.supervisor.vmm.VmmKind;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parts the supervisor drives, built from the configuration by {@link SupervisorWiring} (or by
 * a test with its own parts).
 *
 * @param drivers one driver per VMM kind this host can run
 * @param images resolves image references to verified files
 * @param network builds and removes sandbox networks
 * @param policy loads the policy: at start and again on SIGHUP
 * @param uids leases workload uids before launch (the jail launcher); null = the daemon's own
 *     allocation from uidRange
 * @param defaultImage the catalog's default image, used when the configuration names none
 * @param orphans after reconcile, removes jails that belong to no known sandbox (null: none)
 */
public record Wiring(
    Map<VmmKind, VmmDriver> drivers,
    ImageResolver images,
    NetworkManager network,
    PolicySource policy,
    UidReserver uids,
    String defaultImage,
    OrphanSweep orphans) {

  /** Removes what jails left on the host for sandbox ids that are not in {@code knownIds}. */
  @FunctionalInterface
  public interface OrphanSweep {
    List<String> sweep(Set<String> knownIds);
  }

  /** Loads the policy in force; throws with the reason when it is broken. */
  @FunctionalInterface
  public interface PolicySource {
    Authorizer load() throws Exception;
  }
}
