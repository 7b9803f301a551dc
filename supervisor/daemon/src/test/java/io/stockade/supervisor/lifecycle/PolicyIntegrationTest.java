package io.stockade.supervisor.lifecycle;

import static io.stockade.supervisor.testing.Fixtures.NOBODY;
import static io.stockade.supervisor.testing.Fixtures.ROOT;
import static io.stockade.supervisor.testing.Fixtures.process;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The lifecycle against the policy module's real loader and authorizer: quotas hold under
 * parallel creates, an omitted image is checked as the default image, malformed intents are
 * InvalidParameter, admins see and manage every sandbox.
 */
class PolicyIntegrationTest {
  private static final int ALICE = 61001;
  private static final int BOB = 61002;
  private static final int ADMIN = 61003;
  private Path root;
  private Lifecycle lc;
  private final AnyImageForTests images = new AnyImageForTests("qemu");

  @BeforeEach
  void setUp() throws Exception {
    root = Fixtures.tempDir();
    Path dir = Files.createDirectories(root.resolve("policy.d"));
    Files.writeString(dir.resolve("10-test.json"), """
        {"version": 1, "rules": [
          {"uids": [%d, %d], "grant": {"kinds": ["process", "qemu"], "images": ["stk-d2-default"],
            "commands": ["/bin/sleep"], "maxSandboxes": 2, "maxVcpus": 1, "maxMemoryMiB": 1024}},
          {"uids": [%d], "admin": true}
        ]}
        """.formatted(ALICE, BOB, ADMIN));
    Authorizer policy = PolicyLoader.create(UserDatabase.under(root), PolicyLoader.Ownership.SKIP_CHECK).load(dir);
    LifecycleSettings d = Fixtures.settings(root, Duration.ofSeconds(2), Duration.ofSeconds(1));
    LifecycleSettings settings = new LifecycleSettings(d.sandboxesDir(), d.snapshotsDir(), d.defaultVcpus(),
        d.defaultMemoryMiB(), "stk-d2-default", d.defaultReadyTimeoutSeconds(), d.consoleLines(), d.uidFirst(),
        d.uidCount(), d.gracefulStop(), d.termStop());
    lc = new Lifecycle(
        Map.of(VmmKind.PROCESS, new UnconfinedProcessDriverFake(NOBODY, NOBODY),
            VmmKind.QEMU, new UnconfinedProcessDriverFake(NOBODY, NOBODY, VmmKind.QEMU)),
        images, new NoNetworkForTests(), () -> policy, new StateStore(root.resolve("state")),
        settings, LifecycleMetrics.NONE);
  }

  @AfterEach
  void tearDown() {
    Fixtures.destroyAll(lc);
    lc.close();
    Fixtures.deleteTree(root);
  }

  private static Subject user(int uid) {
    return new Subject(uid, uid, Set.of(uid), "u" + uid, Set.of());
  }

  private static LifecycleException.Code code(Throwable e) {
    return ((LifecycleException) e).code();
  }

  @Test
  void parallelCreatesCannotBothPassOneQuota() throws Exception {
    int n = 12;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<String>> fs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Callable<String> c = () -> {
        go.await();
        try {
          lc.create(user(ALICE), process("", "/bin/sleep", "30"));
          return "ok";
        } catch (LifecycleException e) {
          return e.code().name();
        }
      };
      fs.add(pool.submit(c));
    }
    go.countDown();
    List<String> results = new ArrayList<>();
    for (Future<String> f : fs) {
      results.add(f.get());
    }
    pool.shutdown();
    assertThat(results).filteredOn("ok"::equals).hasSize(2);
    assertThat(results).filteredOn("QUOTA_EXCEEDED"::equals).hasSize(n - 2);
    assertThat(lc.list(user(ALICE))).hasSize(2);
  }

  @Test
  void omittedImageIsCheckedAsTheDefaultAndBadIntentsNameTheParameter() throws Exception {
    SandboxView v = lc.create(user(BOB), new SandboxSpec("qemu", "", null, List.of(), 0, 0, null, null, false, 0));
    assertThat(v.image()).isEqualTo("stk-d2-default");
    assertThat(images.asked).containsExactly("stk-d2-default");
    assertThatThrownBy(() -> lc.create(user(BOB), new SandboxSpec("qemu", "", "other", List.of(), 0, 0, null, null, false, 0)))
        .satisfies(e -> assertThat(code(e)).isEqualTo(LifecycleException.Code.POLICY_DENIED));
    assertThatThrownBy(() -> lc.create(user(BOB), new SandboxSpec("qemu", "", null, List.of(), 0, 0,
        List.of(new io.stockade.policy.EgressRule("10.0.0.0/8", "tcp", 80, 80)), List.of("bad name!"), true, 0)))
        .satisfies(e -> assertThat(code(e)).isEqualTo(LifecycleException.Code.INVALID_PARAMETER))
        .hasMessageContaining("spec.dnsNames");
  }

  @Test
  void adminsSeeAndManageEveryoneElsesSandboxesOthersDoNot() throws Exception {
    String id = lc.create(user(ALICE), process("mine", "/bin/sleep", "30")).id();
    lc.start(user(ALICE), id);
    assertThat(lc.list(user(BOB))).isEmpty();
    assertThatThrownBy(() -> lc.stop(user(BOB), id, null, false))
        .satisfies(e -> assertThat(code(e)).isEqualTo(LifecycleException.Code.NOT_FOUND));
    assertThat(lc.list(user(ADMIN))).extracting(SandboxView::id).contains(id);
    assertThat(lc.get(user(ADMIN), "mine").id()).isEqualTo(id); // by the owner's name for it, too
    // typing into someone's guest shell is the owner's alone, admin or not
    String vm = lc.create(user(ALICE), new SandboxSpec("qemu", "vm", null, List.of("/bin/sh", "-c", "cat"), 0, 0, null, null, false, 0)).id();
    lc.start(user(ALICE), vm);
    lc.writeConsole(user(ALICE), vm, "hello\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThatThrownBy(() -> lc.writeConsole(user(ADMIN), vm, new byte[] {'x'}))
        .satisfies(e -> assertThat(code(e)).isEqualTo(LifecycleException.Code.PERMISSION_DENIED));
    assertThatThrownBy(() -> lc.writeConsole(user(BOB), vm, new byte[] {'x'}))
        .satisfies(e -> assertThat(code(e)).isEqualTo(LifecycleException.Code.NOT_FOUND));
    assertThat(lc.stop(user(ADMIN), id, null, false).state()).isEqualTo(SandboxState.STOPPED);
    assertThat(lc.destroy(user(ADMIN), id).state()).isEqualTo(SandboxState.DESTROYED);
    // admin grants no right to create
    assertThatThrownBy(() -> lc.create(user(ADMIN), process("", "/bin/sleep", "30")))
        .satisfies(e -> assertThat(code(e)).isEqualTo(LifecycleException.Code.POLICY_DENIED));
  }
}
