package io.stockade.supervisor.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.policy.Authorizer;
import io.stockade.policy.Subject;
import io.stockade.supervisor.testing.Fixtures;
import io.stockade.supervisor.testing.NoImagesForTests;
import io.stockade.supervisor.testing.NoNetworkForTests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * pids and I/O limits end to end through the lifecycle, the real policy, the real process driver
 * and the real jail: the requested pids limit is the sandbox cgroup's pids.max, the requested
 * write limit and the grant's read cap (the request set no read limit) are in its blkio files.
 */
class LimitsLifecycleTest {
  private static final int ALICE = 61201;
  private static final long CAP = 4L << 20;
  private Path root;
  private Path jailDir;
  private Lifecycle lc;

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root for the real jail");
    root = Fixtures.tempDir();
    Authorizer policy = Fixtures.policy(root, """
        {"version": 1, "rules": [
          {"uids": [%d], "grant": {"kinds": ["process"], "commands": ["/bin/sleep"], "maxSandboxes": 2,
            "maxVcpus": 1, "maxMemoryMiB": 256, "maxPids": 64, "maxIoBytesPerSec": %d}}
        ]}
        """.formatted(ALICE, CAP));
    jailDir = Files.createTempDirectory("stk-li-jail-");
    lc = new Lifecycle(Fixtures.realProcessDriver(jailDir, 931_000, "stk-li-"), new NoImagesForTests(),
        new NoNetworkForTests(), () -> policy, new StateStore(root.resolve("state")),
        Fixtures.settings(root, Duration.ofSeconds(2), Duration.ofSeconds(1)), LifecycleMetrics.NONE);
  }

  @AfterEach
  void tearDown() {
    if (lc != null) {
      Fixtures.destroyAll(lc);
      lc.close();
    }
    Fixtures.deleteTree(root);
    Fixtures.deleteTree(jailDir);
  }

  private static Subject alice() {
    return new Subject(ALICE, ALICE, Set.of(ALICE), "u" + ALICE, Set.of());
  }

  private static SandboxSpec sleeper(long pids, long read, long write) {
    return new SandboxSpec("process", "", null, List.of("/bin/sleep", "30"), 0, 0, null, null, false, 0, List.of(),
        pids, read, write);
  }

  /** The file {@code name} in the v1 hierarchy {@code controller}'s cgroup of {@code pid}, else its v2 cgroup. */
  private static Path cgroupFile(long pid, String controller, String name) throws Exception {
    List<String> lines = Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"));
    for (String line : lines) {
      String[] f = line.split(":", 3);
      if (List.of(f[1].split(",")).contains(controller)) {
        return Path.of("/sys/fs/cgroup/" + controller + f[2]).resolve(name);
      }
    }
    return Path.of("/sys/fs/cgroup" + lines.stream().filter(l -> l.startsWith("0::")).findFirst()
        .orElseThrow().substring(3)).resolve(name);
  }

  private long pidOf(String id) throws Exception {
    PersistedSandbox p = new StateStore(root.resolve("state")).loadAll().sandboxes().stream()
        .filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    return Long.parseLong(p.driverState().get("pid"));
  }

  @Test
  void theRequestedPidsAndIoLimitsAndTheGrantsCapLandInTheSandboxsCgroups() throws Exception {
    String id = lc.create(alice(), sleeper(40, 0, 2L << 20)).id();
    try {
      lc.start(alice(), id);
    } catch (LifecycleException e) {
      assumeTrue(!e.getMessage().contains("blkio") && !e.getMessage().contains("io controller"),
          "this host cannot enforce I/O limits: " + e.getMessage());
      throw e;
    }
    long pid = pidOf(id);
    Path pidsMax = cgroupFile(pid, "pids", "pids.max");
    long max = Long.parseLong(Files.readString(pidsMax).strip());
    // On a v1 pids hierarchy the jail's stage shares the cgroup and the jail writes limit + 1.
    assertThat(pidsMax.startsWith("/sys/fs/cgroup/pids") ? max - 1 : max).isEqualTo(40);
    Path write = cgroupFile(pid, "blkio", "blkio.throttle.write_bps_device");
    if (Files.exists(write)) {
      assertThat(Files.readString(write)).containsPattern("\\d+:\\d+ " + (2L << 20));
      assertThat(Files.readString(cgroupFile(pid, "blkio", "blkio.throttle.read_bps_device")))
          .as("no read limit asked for: the grant's cap").containsPattern("\\d+:\\d+ " + CAP);
    } else {
      assertThat(Files.readString(cgroupFile(pid, "io", "io.max"))).contains("rbps=" + CAP + " wbps=" + (2L << 20));
    }
    lc.destroy(alice(), id);
  }

  @Test
  void limitsAboveTheGrantAreRefusedNamingTheField() {
    assertThatThrownBy(() -> lc.create(alice(), sleeper(65, 0, 0)))
        .satisfies(e -> assertThat(((LifecycleException) e).code()).isEqualTo(LifecycleException.Code.POLICY_DENIED))
        .hasMessageContaining("pids 65 exceeds the per-sandbox limit 64").hasMessageContaining("(maxPids)");
    assertThatThrownBy(() -> lc.create(alice(), sleeper(0, CAP + 1, 0)))
        .satisfies(e -> assertThat(((LifecycleException) e).code()).isEqualTo(LifecycleException.Code.POLICY_DENIED))
        .hasMessageContaining("(maxIoBytesPerSec)");
    assertThatThrownBy(() -> lc.create(alice(), sleeper(-1, 0, 0)))
        .satisfies(e -> assertThat(((LifecycleException) e).code()).isEqualTo(LifecycleException.Code.INVALID_PARAMETER))
        .hasMessageContaining("spec.pids");
    assertThat(lc.list(alice())).isEmpty();
  }
}
