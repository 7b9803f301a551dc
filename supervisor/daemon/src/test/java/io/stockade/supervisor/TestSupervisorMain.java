package io.stockade.supervisor;

import io.stockade.supervisor.testing.NoImagesForTests;
import io.stockade.supervisor.testing.NoNetworkForTests;
import io.stockade.supervisor.testing.UnconfinedProcessDriverFake;
import io.stockade.supervisor.vmm.VmmKind;
import java.util.Map;

/**
 * The real Main with test wiring: the unconfined process driver fake (no jail, runs workloads as
 * uid/gid 65534 or STK_FAKE_RUN_UID), no images, no networks, the real policy loader. Integration
 * tests start it as a separate JVM from the shaded jar plus the test classes.
 */
public final class TestSupervisorMain {
  private TestSupervisorMain() {}

  public static void main(String[] args) {
    int uid = Integer.parseInt(System.getenv().getOrDefault("STK_FAKE_RUN_UID", "65534"));
    System.exit(
        Main.run(args, (config, kvm) -> new Wiring(
            Map.of(VmmKind.PROCESS, new UnconfinedProcessDriverFake(uid, uid)),
            new NoImagesForTests(), new NoNetworkForTests(), SupervisorWiring.policy(config.path("policyDir")), null, "", null)));
  }
}
