package io.stockade.supervisor.preflight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.supervisor.preflight.CheckResult.Status;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
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

  @Test
  void realDevKvmAsAnUnprivilegedUidNamesThatUid() throws Exception {
    Path kvm = Path.of("/dev/kvm");
    assumeTrue(Files.exists(kvm), "no /dev/kvm on this host");
    assumeTrue(Libc.geteuid() == 0, "needs root to start a child as another uid");
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux) missing");
    assumeTrue(!Files.isReadable(kvm) || !Files.getPosixFilePermissions(kvm).contains(
        PosixFilePermission.OTHERS_READ), "/dev/kvm is world-accessible here");
    // uid 65534 cannot read the build's classpath under /root: give it a world-readable copy.
    Path cp = Files.createDirectory(tmp.resolve("stk-op-cp"));
    List<String> entries = new ArrayList<>();
    int i = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path src = Path.of(entry);
      if (!Files.exists(src)) {
        continue;
      }
      Path dst = cp.resolve(i++ + "-" + src.getFileName());
      if (Files.isDirectory(src)) {
        try (var walk = Files.walk(src)) {
          for (Path p : (Iterable<Path>) walk::iterator) {
            Files.copy(p, dst.resolve(src.relativize(p).toString()));
          }
        }
      } else {
        Files.copy(src, dst);
      }
      entries.add(dst.toString());
    }
    Files.createDirectory(tmp.resolve("stk-op-jna"));
    Process chmod = new ProcessBuilder("chmod", "-R", "a+rX,a+w", tmp.toString()).start();
    assertThat(chmod.waitFor()).isZero();
    String javaBin = ProcessHandle.current().info().command().orElseThrow();
    Process child =
        new ProcessBuilder(
                List.of(
                    "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                    javaBin, "-Djna.tmpdir=" + tmp.resolve("stk-op-jna"), "-Duser.home=" + tmp,
                    "-cp", String.join(File.pathSeparator, entries),
                    KvmDeviceCheckChild.class.getName(), kvm.toString()))
            .redirectErrorStream(true)
            .start();
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(child.exitValue()).as(out).isZero();
    assertThat(out).contains("answers=false").contains("found=/dev/kvm not readable by uid 65534 (EACCES); /dev/kvm: c");
    assertThat(out).containsAnyOf(
        "remedy=add the supervisor's user to group",
        "then add the supervisor's user to group kvm, or run as root\n");
  }
}
