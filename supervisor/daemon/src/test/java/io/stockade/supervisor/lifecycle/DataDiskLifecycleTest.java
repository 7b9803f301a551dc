package io.stockade.supervisor.lifecycle;

import static io.stockade.supervisor.testing.Fixtures.NOBODY;
import static io.stockade.supervisor.testing.Fixtures.ROOT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.policy.Authorizer;
import io.stockade.policy.PolicyLoader;
import io.stockade.policy.Subject;
import io.stockade.policy.UserDatabase;
import io.stockade.supervisor.testing.AnyImageForTests;
import io.stockade.supervisor.testing.Fixtures;
import io.stockade.supervisor.testing.NoNetworkForTests;
import io.stockade.supervisor.testing.UnconfinedProcessDriverFake;
import io.stockade.supervisor.vmm.VmmKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Data disks through the lifecycle with the real policy and real qemu-img: the policy limits
 * count and size, Start creates them in the sandbox directory (kept across Stop/Start), Destroy
 * removes them. The qemu kind is served by the process fake, which does not boot a guest: what a
 * guest sees is QemuDataDiskTest's (vmm module).
 */
class DataDiskLifecycleTest {
  private static final int ALICE = 61101;
  private Path root;
  private LifecycleSettings settings;
  private Lifecycle lc;

  @BeforeEach
  void setUp() throws Exception {
    root = Fixtures.tempDir();
    Path dir = Files.createDirectories(root.resolve("policy.d"));
    Files.writeString(dir.resolve("10-test.json"), """
        {"version": 1, "rules": [
          {"uids": [%d], "grant": {"kinds": ["process", "qemu", "firecracker"], "images": ["*"],
            "commands": ["/bin/sleep"], "maxSandboxes": 3, "maxVcpus": 1, "maxMemoryMiB": 1024,
            "maxDataDisks": 2, "maxDataDiskMiB": 100}}
        ]}
        """.formatted(ALICE));
    Authorizer policy = PolicyLoader.create(UserDatabase.under(root), PolicyLoader.Ownership.SKIP_CHECK).load(dir);
    LifecycleSettings d = Fixtures.settings(root, Duration.ofSeconds(2), Duration.ofSeconds(1));
    settings = new LifecycleSettings(d.sandboxesDir(), d.snapshotsDir(), d.defaultVcpus(),
        d.defaultMemoryMiB(), "stk-dk-default", d.defaultReadyTimeoutSeconds(), d.consoleLines(), d.uidFirst(),
        d.uidCount(), d.gracefulStop(), d.termStop());
    lc = new Lifecycle(
        Map.of(VmmKind.PROCESS, new UnconfinedProcessDriverFake(NOBODY, NOBODY),
            VmmKind.QEMU, new UnconfinedProcessDriverFake(NOBODY, NOBODY, VmmKind.QEMU),
            VmmKind.FIRECRACKER, new UnconfinedProcessDriverFake(NOBODY, NOBODY, VmmKind.FIRECRACKER)),
        new AnyImageForTests("qemu"), new NoNetworkForTests(), () -> policy, new StateStore(root.resolve("state")),
        settings, LifecycleMetrics.NONE);
  }

  @AfterEach
  void tearDown() {
    if (lc != null) {
      Fixtures.destroyAll(lc);
      lc.close();
    }
    Fixtures.deleteTree(root);
  }

  private static Subject alice() {
    return new Subject(ALICE, ALICE, Set.of(ALICE), "u" + ALICE, Set.of());
  }

  private static SandboxSpec vm(String kind, Long... disks) {
    return new SandboxSpec(kind, "", null, List.of("/bin/sleep", "30"), 0, 0, null, null, false, 0, List.of(disks));
  }

  private static LifecycleException.Code code(Throwable e) {
    return ((LifecycleException) e).code();
  }

  private static boolean hasQemuImg() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, "qemu-img"))) {
        return true;
      }
    }
    return false;
  }

  private static long virtualSize(Path disk) throws Exception {
    Process p = new ProcessBuilder("qemu-img", "info", "--output=json", disk.toString()).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).isZero();
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(out).get("virtual-size").asLong();
  }

  @Test
  void policyLimitsCountAndSizeAndTheKindMustAttachThem() {
    assertThatThrownBy(() -> lc.create(alice(), vm("qemu", 10L, 10L, 10L)))
        .satisfies(e -> assertThat(code(e)).isEqualTo(LifecycleException.Code.POLICY_DENIED))
        .hasMessageContaining("3 data disks requested, more than the 2 permitted");
    assertThatThrownBy(() -> lc.create(alice(), vm("qemu", 101L)))
        .satisfies(e -> assertThat(code(e)).isEqualTo(LifecycleException.Code.POLICY_DENIED))
        .hasMessageContaining("data disk 0 of 101 MiB exceeds the per-disk limit of 100 MiB");
    assertThatThrownBy(() -> lc.create(alice(), vm("qemu", 0L)))
        .satisfies(e -> assertThat(code(e)).isEqualTo(LifecycleException.Code.INVALID_PARAMETER))
        .hasMessageContaining("spec.dataDisks[0].sizeMiB");
    assertThatThrownBy(() -> lc.create(alice(), new SandboxSpec("process", "", null, List.of("/bin/sleep", "30"),
        0, 0, null, null, false, 0, List.of(10L))))
        .satisfies(e -> assertThat(code(e)).isEqualTo(LifecycleException.Code.INVALID_PARAMETER))
        .hasMessageContaining("the process kind has no disks");
    assertThatThrownBy(() -> lc.create(alice(), vm("firecracker", 10L)))
        .satisfies(e -> assertThat(code(e)).isEqualTo(LifecycleException.Code.UNSUPPORTED))
        .hasMessageContaining("data disks are attached only by the qemu kind");
    assertThat(lc.list(alice())).isEmpty();
  }

  @Test
  void startCreatesThemStopKeepsThemDestroyRemovesThem() throws Exception {
    assumeTrue(hasQemuImg(), "qemu-img is not installed (scripts/setup-debian.sh installs qemu-utils)");
    String id = lc.create(alice(), vm("qemu", 64L, 100L)).id();
    Path dir = settings.sandboxesDir().resolve(id);
    assertThat(dir.resolve("data-0.qcow2")).doesNotExist();
    lc.start(alice(), id);
    Path d0 = dir.resolve("data-0.qcow2");
    Path d1 = dir.resolve("data-1.qcow2");
    assertThat(virtualSize(d0)).isEqualTo(64L << 20);
    assertThat(virtualSize(d1)).isEqualTo(100L << 20);
    Files.writeString(dir.resolve("marker"), "x"); // stands for data the guest wrote
    long inode = (long) Files.getAttribute(d0, "unix:ino");
    lc.stop(alice(), id, null, false);
    lc.start(alice(), id);
    assertThat((long) Files.getAttribute(d0, "unix:ino")).as("the same disk, not a new one").isEqualTo(inode);
    lc.destroy(alice(), id);
    assertThat(d0).doesNotExist();
    assertThat(d1).doesNotExist();
    assertThat(dir).doesNotExist();
  }

  @Test
  void theSizesSurviveInTheStateFileAndOldStateFilesMeanNone() throws Exception {
    StateStore store = new StateStore(root.resolve("state2"));
    SandboxSpec spec = new SandboxSpec("qemu", "n", "img", List.of(), 1, 256, null, null, false, 60, List.of(5L, 7L));
    store.save(new PersistedSandbox(PersistedSandbox.VERSION, "stk-dk-1", new Owner(ALICE, ALICE, "u" + ALICE), spec,
        SandboxState.CREATED, null, "2026-01-01T00:00:00Z", null, null, null, null, null, 0, null));
    assertThat(store.loadAll().sandboxes()).singleElement().satisfies(p -> assertThat(p.spec()).isEqualTo(spec));
    // A state file from before data disks existed has no dataDiskMiB field.
    Path f = store.fileOf("stk-dk-1");
    Files.writeString(f, Files.readString(f).replaceAll(",\\s*\"dataDiskMiB\"\\s*:\\s*\\[[^]]*]", ""));
    assertThat(Files.readString(f)).doesNotContain("dataDiskMiB");
    assertThat(store.loadAll().sandboxes()).singleElement()
        .satisfies(p -> assertThat(p.spec().dataDiskMiB()).isEmpty());
  }

  @Test
  void rootMayAskForMoreThanAnyGrant() throws Exception {
    assumeTrue(hasQemuImg(), "qemu-img is not installed (scripts/setup-debian.sh installs qemu-utils)");
    String id = lc.create(ROOT, vm("qemu", 1L, 1L, 1L, 4096L)).id();
    lc.start(ROOT, id);
    assertThat(virtualSize(settings.sandboxesDir().resolve(id).resolve("data-3.qcow2"))).isEqualTo(4096L << 20);
    lc.destroy(ROOT, id);
    assertThat(settings.sandboxesDir().resolve(id)).doesNotExist();
  }
}
