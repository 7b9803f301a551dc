package io.stockade.supervisor;

import static io.stockade.supervisor.testing.Fixtures.NOBODY;
import static io.stockade.supervisor.testing.Fixtures.ROOT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stockade.policy.Authorizer;
import io.stockade.supervisor.lifecycle.Lifecycle;
import io.stockade.supervisor.lifecycle.LifecycleException;
import io.stockade.supervisor.lifecycle.LifecycleMetrics;
import io.stockade.supervisor.lifecycle.SandboxSpec;
import io.stockade.supervisor.lifecycle.SandboxState;
import io.stockade.supervisor.lifecycle.StateStore;
import io.stockade.supervisor.testing.AnyImageForTests;
import io.stockade.supervisor.testing.Fixtures;
import io.stockade.supervisor.testing.NoNetworkForTests;
import io.stockade.supervisor.testing.UnconfinedProcessDriverFake;
import io.stockade.supervisor.vmm.VmmKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A VMM whose binary is missing (there is no Firecracker binary on this machine; the fake driver
 * registered as firecracker plays the VMM): Create answers Unsupported and Start LaunchFailed, both
 * naming the path and the config key.
 */
class InstalledBinaryDriverTest {
  private Path root;
  private Path binary;
  private Lifecycle lc;

  @BeforeEach
  void setUp() throws Exception {
    root = Fixtures.tempDir();
    binary = root.resolve("bin/firecracker");
    Files.createDirectories(binary.getParent());
    InstalledBinaryDriver fc = new InstalledBinaryDriver(
        new UnconfinedProcessDriverFake(NOBODY, NOBODY, VmmKind.FIRECRACKER), binary, "vmm.firecracker");
    lc = new Lifecycle(Map.of(VmmKind.FIRECRACKER, fc), new AnyImageForTests("firecracker"), new NoNetworkForTests(), Authorizer::empty,
        new StateStore(root.resolve("state")), Fixtures.settings(root, Duration.ofSeconds(2), Duration.ofSeconds(1)),
        LifecycleMetrics.NONE);
  }

  @AfterEach
  void tearDown() {
    Fixtures.destroyAll(lc);
    lc.close();
    Fixtures.deleteTree(root);
  }

  private static SandboxSpec spec() {
    return new SandboxSpec("firecracker", "", "img", List.of("/bin/sleep", "30"), 0, 0, null, null, false, 0);
  }

  @Test
  void missingBinaryIsNamedAtCreateAndAtStart() throws Exception {
    assertThatThrownBy(() -> lc.create(ROOT, spec()))
        .satisfies(e -> assertThat(((LifecycleException) e).code()).isEqualTo(LifecycleException.Code.UNSUPPORTED))
        .hasMessageContaining(binary.toString())
        .hasMessageContaining("vmm.firecracker");

    Files.writeString(binary, "#!/bin/sh\n");
    Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
    String id = lc.create(ROOT, spec()).id();
    Files.delete(binary); // removed between Create and Start
    assertThatThrownBy(() -> lc.start(ROOT, id))
        .satisfies(e -> assertThat(((LifecycleException) e).code()).isEqualTo(LifecycleException.Code.LAUNCH_FAILED))
        .hasMessageContaining(binary.toString());
    assertThat(lc.get(ROOT, id).state()).isEqualTo(SandboxState.FAILED);

    Files.writeString(binary, "#!/bin/sh\n");
    Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThat(lc.start(ROOT, id).state()).isEqualTo(SandboxState.RUNNING); // installed again: it launches
  }
}
