package io.stockade.supervisor.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.policy.Authorizer;
import io.stockade.policy.CpuList;
import io.stockade.policy.EgressRule;
import io.stockade.policy.RateLimit;
import io.stockade.policy.Subject;
import io.stockade.supervisor.lifecycle.LifecycleException.Code;
import io.stockade.supervisor.testing.Fixtures;
import io.stockade.supervisor.testing.NoImagesForTests;
import io.stockade.supervisor.testing.RecordingNetworkFake;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * CPU pinning and network rate limits through the lifecycle: the request's, else the grant's,
 * else the server's defaults, fixed at Create and shown by Get; pinning reaches the real jail (the
 * workload's affinity, seen from outside), rates reach the network layer (recorded by a fake here;
 * the net module's tests send the real packets).
 */
class PlacementLifecycleTest {
  private static final int ALICE = 61301;
  private static final int BOB = 61302;
  private static final EgressRule WEB = new EgressRule("198.51.100.0/24", "tcp", 443, 443);
  private Path root;
  private Path jailDir;
  private Lifecycle lc;
  private final RecordingNetworkFake net = new RecordingNetworkFake();

  /** alice: may pin to CPU 1 only, rates capped; bob: no restriction. Defaults as given. */
  private void start(CpuList defaultCpus, RateLimit defaultRate) throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root for the real jail");
    root = Fixtures.tempDir();
    Authorizer policy = Fixtures.policy(root, """
        {"version": 1, "rules": [
          {"uids": [%d], "grant": {"kinds": ["process"], "commands": ["/bin/sleep"], "maxSandboxes": 3,
            "maxVcpus": 1, "maxMemoryMiB": 256, "cpus": "1", "maxNetBytesPerSec": 50000,
            "maxNetPacketsPerSec": 100, "openFiles": 4096, "egress": [{"cidr": "198.51.100.0/24", "protocol": "tcp", "ports": "443"}]}},
          {"uids": [%d], "grant": {"kinds": ["process"], "commands": ["/bin/sleep"], "maxSandboxes": 3,
            "maxVcpus": 1, "maxMemoryMiB": 256, "egress": [{"cidr": "198.51.100.0/24", "protocol": "tcp", "ports": "443"}]}}
        ]}
        """.formatted(ALICE, BOB));
    jailDir = Files.createTempDirectory("stk-pl-jail-");
    LifecycleSettings base = Fixtures.settings(root, Duration.ofSeconds(2), Duration.ofSeconds(1));
    LifecycleSettings settings = new LifecycleSettings(base.sandboxesDir(), base.snapshotsDir(), base.defaultVcpus(),
        base.defaultMemoryMiB(), base.defaultImage(), base.defaultReadyTimeoutSeconds(), base.consoleLines(),
        base.uidFirst(), base.uidCount(), base.gracefulStop(), base.termStop(), 0, 0, 0, defaultCpus, defaultRate);
    lc = new Lifecycle(Fixtures.realProcessDriver(jailDir, 932_000, "stk-pl-"), new NoImagesForTests(), net,
        () -> policy, new StateStore(root.resolve("state")), settings, LifecycleMetrics.NONE);
  }

  @AfterEach
  void tearDown() {
    if (lc != null) {
      Fixtures.destroyAll(lc);
      lc.close();
    }
    if (root != null) {
      Fixtures.deleteTree(root);
      Fixtures.deleteTree(jailDir);
    }
  }

  private static Subject user(int uid) {
    return new Subject(uid, uid, Set.of(uid), "u" + uid, Set.of());
  }

  private static SandboxSpec sleeper(String cpus, boolean network, long bytes, long packets) {
    return new SandboxSpec("process", "", null, List.of("/bin/sleep", "30"), 0, 0,
        network ? List.of(WEB) : List.of(), null, network, 0, List.of(), 0, 0, 0, cpus, bytes, packets, 0);
  }

  private void assertRefused(int uid, SandboxSpec spec, Code code, String... messageParts) {
    assertThatThrownBy(() -> lc.create(user(uid), spec))
        .satisfies(e -> assertThat(((LifecycleException) e).code()).isEqualTo(code))
        .satisfies(e -> assertThat(e.getMessage()).contains(messageParts));
  }

  private static String cpusAllowed(long pid) throws Exception {
    return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
        .filter(l -> l.startsWith("Cpus_allowed_list:")).findFirst().orElseThrow()
        .substring("Cpus_allowed_list:".length()).strip();
  }

  private long pidOf(String id) throws Exception {
    PersistedSandbox p = new StateStore(root.resolve("state")).loadAll().sandboxes().stream()
        .filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    return Long.parseLong(p.driverState().get("pid"));
  }

  /** The program itself: the only child of the jail's exec stage, whose pid the state holds. */
  private long workloadOf(String id) throws Exception {
    long stage = pidOf(id);
    return Long.parseLong(Files.readString(Path.of("/proc/" + stage + "/task/" + stage + "/children")).strip());
  }

  private static void assumeTwoCpus() {
    assumeTrue(HostCpus.usable().containsAll(CpuList.parse("0-1")), "needs CPUs 0 and 1, has " + HostCpus.usable());
  }

  @Test
  void theGrantsCpusPinASandboxThatAskedForNoneAndTheWorkloadRunsOnlyThere() throws Exception {
    start(CpuList.NONE, RateLimit.NONE);
    assumeTwoCpus();
    SandboxView v = lc.create(user(ALICE), sleeper(null, false, 0, 0));
    assertThat(v.limits().cpus()).isEqualTo("1");
    assertThat(v.limits().openFiles()).as("the grant's open-files limit").isEqualTo(4096);
    lc.start(user(ALICE), v.id());
    assertThat(cpusAllowed(pidOf(v.id()))).as("the workload's affinity, from outside").isEqualTo("1");
    assertThat(Files.readString(Path.of("/proc/" + workloadOf(v.id()) + "/limits")))
        .containsPattern("Max open files\\s+4096\\s+4096");
    assertThat(lc.get(user(ALICE), v.id()).limits().cpus()).isEqualTo("1");
  }

  @Test
  void theServersDefaultPinsWhenNeitherRequestNorGrantNamesCpus() throws Exception {
    start(CpuList.of(0), RateLimit.NONE);
    assumeTwoCpus();
    SandboxView v = lc.create(user(BOB), sleeper(null, false, 0, 0));
    assertThat(v.limits().cpus()).isEqualTo("0");
    lc.start(user(BOB), v.id());
    assertThat(cpusAllowed(pidOf(v.id()))).isEqualTo("0");
    SandboxView own = lc.create(user(BOB), sleeper("1", false, 0, 0));
    assertThat(own.limits().cpus()).as("the request's own CPUs win over the default").isEqualTo("1");
  }

  @Test
  void unpinnedSandboxesRunOnEveryCpuTheSupervisorHas() throws Exception {
    start(CpuList.NONE, RateLimit.NONE);
    SandboxView v = lc.create(user(BOB), sleeper(null, false, 0, 0));
    assertThat(v.limits().cpus()).isEmpty();
    assertThat(v.limits().openFiles()).as("no grant limit: the driver's").isZero();
    lc.start(user(BOB), v.id());
    assertThat(Files.readString(Path.of("/proc/" + workloadOf(v.id()) + "/limits")))
        .containsPattern("Max open files\\s+1024\\s+1024");
    assertThat(CpuList.parse(cpusAllowed(pidOf(v.id())))).isEqualTo(HostCpus.usable());
  }

  @Test
  void cpusOutsideTheGrantOrTheHostAreRefusedBeforeAnythingExists() throws Exception {
    start(CpuList.NONE, RateLimit.NONE);
    assumeTwoCpus();
    assertRefused(ALICE, sleeper("0-1", false, 0, 0), Code.POLICY_DENIED, "CPUs 0 are not among the CPUs 1", "(cpus)");
    assertRefused(BOB, sleeper("4000-4001", false, 0, 0), Code.INVALID_PARAMETER, "spec.cpus",
        "CPUs 4000-4001 are not available on this host");
    assertRefused(BOB, sleeper("1-0", false, 0, 0), Code.INVALID_PARAMETER, "runs backwards");
    assertThat(lc.list(user(ALICE))).isEmpty();
    assertThat(lc.list(user(BOB))).isEmpty();
  }

  @Test
  void networkRatesComeFromTheRequestTheGrantOrTheDefaultAndReachTheNetwork() throws Exception {
    start(CpuList.NONE, new RateLimit(0, 7000));
    SandboxView capped = lc.create(user(ALICE), sleeper(null, true, 0, 0));
    assertThat(net.specs.get(capped.id()).rate()).as("the grant's caps").isEqualTo(new RateLimit(50000, 100));
    assertThat(capped.limits().netBytesPerSec()).isEqualTo(50000);
    assertThat(capped.limits().netPacketsPerSec()).isEqualTo(100);

    SandboxView own = lc.create(user(ALICE), sleeper(null, true, 20000, 0));
    assertThat(net.specs.get(own.id()).rate()).isEqualTo(new RateLimit(20000, 100));

    SandboxView free = lc.create(user(BOB), sleeper(null, true, 0, 0));
    assertThat(net.specs.get(free.id()).rate()).as("no cap: the server's default").isEqualTo(new RateLimit(0, 7000));

    lc.updateEgress(user(ALICE), own.id(), List.of(), null);
    assertThat(net.specs.get(own.id()).rate()).as("UpdateEgress keeps the rate").isEqualTo(new RateLimit(20000, 100));
    assertThat(net.specs.get(own.id()).rules()).isEmpty();
  }

  @Test
  void ratesAboveTheGrantOrWithoutANetworkAreRefused() throws Exception {
    start(CpuList.NONE, RateLimit.NONE);
    assertRefused(ALICE, sleeper(null, true, 50001, 0), Code.POLICY_DENIED, "(maxNetBytesPerSec)");
    assertRefused(ALICE, sleeper(null, true, 0, 101), Code.POLICY_DENIED, "(maxNetPacketsPerSec)");
    assertRefused(BOB, sleeper(null, false, 5000, 0), Code.INVALID_PARAMETER, "network rate limits need network=true");
    assertRefused(BOB, sleeper(null, true, 999, 0), Code.INVALID_PARAMETER, "spec.netBytesPerSec");
    assertThat(net.specs).isEmpty();
  }
}
