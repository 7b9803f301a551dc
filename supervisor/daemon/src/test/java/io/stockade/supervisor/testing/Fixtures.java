package io.stockade.supervisor.testing;

import io.stockade.policy.Authorizer;
import io.stockade.policy.Subject;
import io.stockade.supervisor.lifecycle.Lifecycle;
import io.stockade.supervisor.lifecycle.LifecycleMetrics;
import io.stockade.supervisor.lifecycle.LifecycleSettings;
import io.stockade.supervisor.lifecycle.SandboxSpec;
import io.stockade.supervisor.lifecycle.StateStore;
import io.stockade.supervisor.vmm.VmmKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/** Shared test set-up: temp dirs, a lifecycle over the fake process driver, subjects, specs. */
public final class Fixtures {
  public static final int NOBODY = 65534;
  public static final Subject ROOT = new Subject(0, 0, Set.of(0), "root", Set.of("root"));

  private Fixtures() {}

  public static Path tempDir() throws IOException {
    Path d = Files.createTempDirectory("stk-dm-");
    Files.setPosixFilePermissions(d, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    return d;
  }

  public static void deleteTree(Path d) {
    if (d == null || !Files.exists(d)) {
      return;
    }
    try (var w = Files.walk(d)) {
      w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort in cleanup
    }
  }

  /** Writes {@code json} as the only policy file under {@code root}/policy.d and loads it for real. */
  public static Authorizer policy(Path root, String json) throws Exception {
    Path dir = Files.createDirectories(root.resolve("policy.d"));
    Files.writeString(dir.resolve("10-test.json"), json);
    return io.stockade.policy.PolicyLoader.create(io.stockade.policy.UserDatabase.under(root),
        io.stockade.policy.PolicyLoader.Ownership.SKIP_CHECK).load(dir);
  }

  /** The real process driver over a real jail in {@code jailDir}, uids from {@code uidFirst}, cgroups named {@code prefix}*. */
  public static Map<VmmKind, io.stockade.supervisor.vmm.VmmDriver> realProcessDriver(Path jailDir, int uidFirst,
      String prefix) throws Exception {
    io.stockade.supervisor.jail.LinuxJailLauncher jail = io.stockade.supervisor.jail.LinuxJailLauncher.create(
        io.stockade.supervisor.jail.JailConfig.defaults(jailDir).withUidRange(uidFirst, 64).withCgroupPrefix(prefix));
    return Map.of(VmmKind.PROCESS, io.stockade.supervisor.vmm.process.ProcessDriver.create(jail));
  }

  public static LifecycleSettings settings(Path root, Duration graceful, Duration term) {
    return new LifecycleSettings(root.resolve("sandboxes"), root.resolve("snapshots"), 1, 256, "", 30, 500,
        300000, 100, graceful, term);
  }

  public static Lifecycle lifecycle(Path root, Supplier<Authorizer> policy, Duration graceful, Duration term) throws IOException {
    return new Lifecycle(
        Map.of(VmmKind.PROCESS, new UnconfinedProcessDriverFake(NOBODY, NOBODY)),
        new NoImagesForTests(), new NoNetworkForTests(), policy, new StateStore(root.resolve("state")),
        settings(root, graceful, term), LifecycleMetrics.NONE);
  }

  /** Destroys every sandbox left (test teardown), ignoring those already gone. */
  public static void destroyAll(Lifecycle lc) {
    for (io.stockade.supervisor.lifecycle.SandboxView v : lc.all()) {
      try {
        lc.destroy(ROOT, v.id());
      } catch (io.stockade.supervisor.lifecycle.LifecycleException e) {
        // already gone
      }
    }
  }

  public static SandboxSpec process(String name, String... argv) {
    return new SandboxSpec("process", name, null, List.of(argv), 0, 0, null, null, false, 0);
  }

  public static Subject user(int uid) {
    return new Subject(uid, uid, Set.of(uid), "u" + uid, Set.of());
  }
}
