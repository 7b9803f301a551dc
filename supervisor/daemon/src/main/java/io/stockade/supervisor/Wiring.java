package io.stockade.supervisor;

import io.stockade.images.ImageResolver;
import io.stockade.policy.Authorizer;
import io.stockade.supervisor.net.NetworkManager;
import io.stockade.supervisor.vmm.VmmDriver;
import io.stockade.supervisor.vmm.VmmKind;
import java.util.Map;

/**
 * The parts the supervisor drives, built from the configuration by {@link SupervisorWiring} (or by
 * a test with its own parts).
 *
 * @param drivers one driver per VMM kind this host can run
 * @param images resolves image references to verified files
 * @param network builds and removes sandbox networks
 * @param policy loads the policy: at start and again on SIGHUP
 */
public record Wiring(
    Map<VmmKind, VmmDriver> drivers, ImageResolver images, NetworkManager network, PolicySource policy) {

  /** Loads the policy in force; throws with the reason when it is broken. */
  @FunctionalInterface
  public interface PolicySource {
    Authorizer load() throws Exception;
  }
}
