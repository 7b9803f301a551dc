package io.stockade.supervisor.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JailPlanTest {
  static JailSpec spec(String id, Path exe, List<JailSpec.Mount> mounts, List<String> devices, String workDir) {
    return new JailSpec(id, exe, List.of("x"), Map.of(), mounts, devices, Optional.empty(),
        new JailSpec.Limits(0, 1 << 26, 16, 64, 0), "process", false, workDir);
  }

  static JailException invalid(JailSpec s) {
    try {
      JailPlan.of(s);
    } catch (JailException e) {
      return e;
    }
    throw new AssertionError("accepted " + s);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "UPPER", "with_underscore", "dot.dot", "a234567890123456789012345678901234"})
  void sandboxIdsOutsideTheAlphabetAreRefused(String id) {
    JailException e = invalid(spec(id, Path.of("/bin/true"), List.of(), List.of(), "/"));
    assertThat(e.step()).isEqualTo("validate");
    assertThat(e.getMessage()).contains("sandboxId").contains("[a-z0-9-]");
  }

  @ParameterizedTest
  @ValueSource(strings = {"relative", "/a/../b", "/a/..", "/a//b", "/a/./b", "/a/"})
  void jailPathsMustBeAbsoluteAndNormal(String jailPath) {
    JailException e = invalid(spec("s", Path.of("/bin/true"), List.of(new JailSpec.Mount(Path.of("/usr"), jailPath, false)), List.of(), "/"));
    assertThat(e.getMessage()).contains(jailPath).contains("..");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/", "/proc", "/dev/kvm", "/tmp/x", "/run"})
  void theJailsOwnPathsCannotBeMountedOver(String jailPath) {
    assertThat(invalid(spec("s", Path.of("/bin/true"), List.of(new JailSpec.Mount(Path.of("/usr"), jailPath, false)), List.of(), "/"))
        .getMessage()).contains("the jail's own");
  }

  @Test
  void executableMustBeAnExecutableFile() {
    assertThat(invalid(spec("s", Path.of("/etc/passwd"), List.of(), List.of(), "/")).getMessage())
        .contains("executable").contains("/etc/passwd");
    assertThat(invalid(spec("s", Path.of("/usr"), List.of(), List.of(), "/")).getMessage()).contains("regular file");
    assertThat(invalid(spec("s", Path.of("bin/true"), List.of(), List.of(), "/")).getMessage()).contains("absolute");
  }

  @Test
  void devicesMustBeHostDeviceNodes() {
    assertThat(invalid(spec("s", Path.of("/bin/true"), List.of(), List.of("../sda"), "/")).getMessage()).contains("devices");
    assertThat(invalid(spec("s", Path.of("/bin/true"), List.of(), List.of("stk-jt-none"), "/")).errno()).isEqualTo(Errno.ENOENT);
    assertThat(invalid(spec("s", Path.of("/bin/true"), List.of(), List.of("fd"), "/")).getMessage()).contains("not a character");
  }

  @Test
  void resolvesTheExecutableAndDeviceNumbers() throws Exception {
    JailPlan plan = JailPlan.of(spec("s", Path.of("/bin/true"), SystemMounts.readOnly(), List.of("null", "urandom"), "/"));
    // /bin/true is reached through the /bin or /usr mount, not bound separately.
    assertThat(plan.jailExecutable()).isEqualTo(Path.of("/bin/true").toRealPath().toString());
    assertThat(plan.mounts()).hasSameSizeAs(SystemMounts.readOnly());
    assertThat(plan.devices()).containsExactly(
        new JailPlan.DeviceNode("null", 'c', 1, 3, true), new JailPlan.DeviceNode("urandom", 'c', 1, 9, true));
  }

  @Test
  void anExecutableOutsideTheMountsIsBoundAtItsPath() throws Exception {
    JailPlan plan = JailPlan.of(spec("s", Path.of("/bin/true"), List.of(), List.of(), "/"));
    String real = Path.of("/bin/true").toRealPath().toString();
    assertThat(plan.jailExecutable()).isEqualTo(real);
    assertThat(plan.mounts()).containsExactly(new JailPlan.PlannedMount(Path.of(real), real, false, false));
  }

  @Test
  void nestedMountPointMustExistInTheOuterSource() {
    JailException e = invalid(spec("s", Path.of("/bin/true"),
        List.of(new JailSpec.Mount(Path.of("/usr"), "/usr", false), new JailSpec.Mount(Path.of("/etc"), "/usr/stk-jt-nope", false)),
        List.of(), "/"));
    assertThat(e.getMessage()).contains("/usr/stk-jt-nope").contains("must exist");
  }

  @Test
  void limitsMustBeSet() {
    JailSpec s = new JailSpec("s", Path.of("/bin/true"), List.of("x"), Map.of(), List.of(), List.of(), Optional.empty(),
        new JailSpec.Limits(0, 0, 16, 64, 0), "process", false, "/");
    assertThat(invalid(s).getMessage()).contains("memoryBytes");
  }
}
