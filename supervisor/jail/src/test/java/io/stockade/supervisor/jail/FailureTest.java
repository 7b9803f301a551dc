package io.stockade.supervisor.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A failing step is named with its errno and path, and nothing it built is left on the host. */
class FailureTest {
  static JailTestSupport jails;

  @BeforeAll
  static void setUp() throws Exception {
    jails = JailTestSupport.create("fail", 910_200);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (jails != null) {
      jails.close();
    }
  }

  /** Nothing of the sandbox remains: jail directory, cgroups in every hierarchy, uid lease. */
  static void assertNothingLeft(String id) throws Exception {
    assertThat(jails.config.jailsDir().resolve(id)).doesNotExist();
    try (Stream<Path> cg = Files.find(Path.of("/sys/fs/cgroup"), 6, (p, a) -> p.getFileName().toString().equals(id))) {
      assertThat(cg).isEmpty();
    }
    if (Files.isDirectory(jails.config.leaseDir())) {
      try (Stream<Path> leases = Files.list(jails.config.leaseDir())) {
        assertThat(leases.filter(p -> !p.getFileName().toString().startsWith("."))).isEmpty();
      }
    }
  }

  @Test
  void netnsThatIsNotANamespaceFailsAtSetns() throws Exception {
    String id = jails.newId("netns");
    Path notNs = Files.createFile(jails.base.resolve("not-a-netns"));
    JailSpec spec = jails.shell(id, "true");
    JailSpec bad = new JailSpec(id, spec.executable(), spec.argv(), spec.env(), spec.mounts(), spec.devices(),
        Optional.of(notNs), spec.limits(), spec.seccompProfile(), false, "/");
    assertThatThrownBy(() -> jails.launcher.launch(bad))
        .isInstanceOfSatisfying(JailException.class, e -> {
          assertThat(e.step()).isEqualTo("setns_net");
          assertThat(e.errno()).isEqualTo(Errno.EINVAL);
          assertThat(e.getMessage()).contains(notNs.toString()).contains("ip netns add");
        });
    assertNothingLeft(id);
  }

  @Test
  void programWithoutItsLibrariesFailsAtExecve() throws Exception {
    String id = jails.newId("noexec");
    // /bin/sh is dynamically linked: without the system mounts its loader is missing in the jail.
    JailSpec spec = new JailSpec(id, Path.of("/bin/sh"), List.of("sh", "-c", "true"), Map.of(), List.of(),
        List.of(), Optional.empty(), JailTestSupport.limits(), "process", false, "/");
    assertThatThrownBy(() -> jails.launcher.launch(spec))
        .isInstanceOfSatisfying(JailException.class, e -> {
          assertThat(e.step()).isEqualTo("execve");
          assertThat(e.errno()).isEqualTo(Errno.ENOENT);
          assertThat(e.getMessage()).contains("/usr/bin/dash");
        });
    assertNothingLeft(id);
  }

  @Test
  void badMountPathIsRefusedBeforeAnythingIsBuilt() throws Exception {
    String id = jails.newId("badmount");
    JailSpec spec = jails.shell(id, "true");
    JailSpec bad = new JailSpec(id, spec.executable(), spec.argv(), spec.env(),
        List.of(new JailSpec.Mount(Path.of("/nonexistent/stk-jt"), "/data", false)),
        List.of(), Optional.empty(), spec.limits(), "process", false, "/");
    assertThatThrownBy(() -> jails.launcher.launch(bad))
        .isInstanceOfSatisfying(JailException.class, e -> {
          assertThat(e.step()).isEqualTo("validate");
          assertThat(e.errno()).isEqualTo(Errno.ENOENT);
          assertThat(e.getMessage()).contains("/nonexistent/stk-jt");
        });
    assertNothingLeft(id);
  }

  @Test
  void mountThatDisappearsBeforeTheStageFailsAtBindMount() throws Exception {
    // The stage itself is tested alone: a bind source that does not exist fails at bind_mount.
    String id = jails.newId("stagebind");
    Path jailDir = Files.createDirectories(jails.base.resolve("manual/" + id));
    Path root = Files.createDirectories(jailDir.resolve("root"));
    for (String d : List.of("proc", "dev", "tmp", "data")) {
      Files.createDirectory(root.resolve(d));
    }
    Path stage = jails.config.nativeDir().resolve("stockade-exec");
    List<String> cmd = ExecStageCommandLine.builder(stage).root(root).jailDir(jailDir).ids(910_299, 910_299)
        .bind(Path.of("/nonexistent/stk-jt"), "/data", ExecStageCommandLine.Access.READ_ONLY)
        .exec("/bin/true", List.of("true")).build();
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    StageReport r = StageReport.read(p.getInputStream());
    assertThat(r.failedStep()).isEqualTo("bind_mount");
    assertThat(r.errno()).isEqualTo(Errno.ENOENT);
    assertThat(r.detail()).contains("/nonexistent/stk-jt");
    assertThat(p.waitFor()).isEqualTo(127);
    // The mounts were made in the stage's private namespace: none shows on the host.
    assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(root.toString());
  }

  @Test
  void duplicateIdDoesNotTouchTheRunningSandbox() throws Exception {
    String id = jails.newId("dup");
    JailedProcess first = jails.launcher.launch(jails.shell(id, "sleep 30"));
    assertThatThrownBy(() -> jails.launcher.launch(jails.shell(id, "true")))
        .isInstanceOfSatisfying(JailException.class, e -> assertThat(e.step()).isEqualTo("jail_exists"));
    assertThat(first.onExit()).isNotDone();
    jails.launcher.cleanup(id);
    assertThat(JailTestSupport.await(first)).isEqualTo(137);
    assertNothingLeft(id);
  }

  @Test
  void rootWorkloadIsRefusedByTheStage() throws Exception {
    Path stage = jails.config.nativeDir().resolve("stockade-exec");
    Process p = new ProcessBuilder(stage.toString(), "--root", "/", "--jail-dir", "/tmp", "--uid", "0", "--gid", "0",
        "--", "/bin/true", "true").redirectError(ProcessBuilder.Redirect.DISCARD).start();
    StageReport r = StageReport.read(p.getInputStream());
    assertThat(r.failedStep()).isEqualTo("usage");
    assertThat(r.errno()).isEqualTo(Errno.EPERM);
    assertThat(p.waitFor()).isEqualTo(125);
  }
}
