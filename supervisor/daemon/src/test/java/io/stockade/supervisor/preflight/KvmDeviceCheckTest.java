package io.stockade.supervisor.preflight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.supervisor.preflight.CheckResult.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Missing, not accessible and not answering are three different findings with three remedies. */
class KvmDeviceCheckTest {
  @TempDir Path tmp;

  @Test
  void realDevAnswersBothIoctls() {
    Path kvm = Path.of("/dev/kvm");
    assumeTrue(Files.exists(kvm), "no /dev/kvm on this host");
    assumeTrue(Libc.geteuid() == 0, "needs root to open /dev/kvm (crw------- here)");
    KvmDeviceCheck.Outcome outcome = KvmDeviceCheck.check(kvm);
    assertThat(outcome.answers()).as(outcome.toString()).isTrue();
    assertThat(outcome.results().get(0).found())
        .matches("/dev/kvm: c[-rwx]{9} \\S+:\\S+ 10:232: API version 12, KVM_CREATE_VM ok");
  }

  @Test
  void missingDeviceNamesTheModuleAndNestedVirtualization() {
    Path missing = tmp.resolve("stk-op-kvm-missing");
    KvmDeviceCheck.Outcome outcome = KvmDeviceCheck.check(missing);
    CheckResult r = outcome.results().get(0);
    assertThat(outcome.answers()).isFalse();
    assertThat(r.status()).isEqualTo(Status.WARN);
    assertThat(r.found()).isEqualTo(missing + " missing (ENOENT)");
    assertThat(r.remedy()).contains("modprobe kvm_intel").contains("nested virtualization");
  }

  @Test
  void regularFileAnswersNoIoctlWithEnotty() throws Exception {
    Path file = Files.writeString(tmp.resolve("stk-op-kvm-file"), "not a device");
    KvmDeviceCheck.Outcome outcome = KvmDeviceCheck.check(file);
    CheckResult r = outcome.results().get(0);
    assertThat(outcome.answers()).isFalse();
    assertThat(r.found())
        .startsWith(file + ": -rw-")
        .endsWith(": answers no KVM ioctls (KVM_GET_API_VERSION: ENOTTY): not a KVM device");
  }

  @Test
  void unreadableDeviceNamesTheUidAndTheGroup() throws Exception {
    assumeTrue(Libc.geteuid() == 0, "needs root to start a child without CAP_DAC_OVERRIDE");
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux) missing");
    Path file = Files.writeString(tmp.resolve("stk-op-kvm-000"), "");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
    String java = ProcessHandle.current().info().command().orElseThrow();
    // Root without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH is refused by mode 000 like any uid; the
    // child keeps uid 0 so it can still read the test's classpath under /root.
    Process child =
        new ProcessBuilder(
                List.of(
                    "/usr/bin/setpriv", "--bounding-set=-dac_override,-dac_read_search", "--",
                    java, "-cp", System.getProperty("java.class.path"),
                    KvmDeviceCheckChild.class.getName(), file.toString()))
            .redirectErrorStream(true)
            .start();
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(child.exitValue()).as(out).isZero();
    assertThat(out)
        .contains("answers=false")
        .contains("status=WARN")
        .contains("found=" + file + " not readable by uid 0 (EACCES); " + file + ": ---------- root:root")
        .contains("then add the supervisor's user to group kvm, or run as root with CAP_DAC_OVERRIDE");
  }
}
