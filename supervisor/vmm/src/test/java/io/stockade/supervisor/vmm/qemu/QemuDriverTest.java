package io.stockade.supervisor.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.support.ConsoleLog;
import io.stockade.supervisor.vmm.support.HostTsc;
import io.stockade.supervisor.vmm.support.SandboxFiles;
import io.stockade.supervisor.vmm.testing.DirectoryImageResolverFake;
import io.stockade.supervisor.vmm.testing.RealJail;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Boots real guests with QEMU microvm (TCG) from the default image, in the real jail. */
class QemuDriverTest {
  private static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
  private static final Duration BOOT = Duration.ofSeconds(60);

  private Path work;
  private DirectoryImageResolverFake images;
  private RealJail realJail;
  private io.stockade.supervisor.jail.JailLauncher jail;
  private QemuDriver driver;
  private final List<String> ids = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(Boolean.parseBoolean(System.getProperty("stockade.slowTests", "true")), "slow tests disabled");
    assumeTrue(Files.isExecutable(QEMU), "qemu-system-x86_64 is not installed");
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root for mount namespaces");
    Path imageDir = Path.of(System.getProperty("stockade.imageDir", "out/images/default"));
    Optional<DirectoryImageResolverFake> img = DirectoryImageResolverFake.of(imageDir);
    assumeTrue(img.isPresent(), "no default image in " + imageDir + ": run scripts/build-image");
    images = img.get();
    work = Files.createTempDirectory("stk-vm-qemu-");
    realJail = RealJail.create("qemu", 920_000);
    jail = realJail.launcher;
    driver = QemuDriver.create(jail, images, QEMU, QemuOptions.of("tcg", HostTsc.khz().orElse(0)));
  }

  @AfterEach
  void tearDown() {
    if (driver != null) {
      ids.forEach(driver::cleanup);
    }
    if (realJail != null) {
      realJail.close();
    }
    if (work != null) {
      SandboxFiles.deleteRecursively(work);
    }
  }

  private LaunchSpec spec(ResolvedImage image, Duration timeout, Optional<Path> restoreFrom) {
    String id = "stk-vm-" + UUID.randomUUID().toString().substring(0, 8);
    ids.add(id);
    return new LaunchSpec(id, 1, 256, Optional.of(image), List.of(), Optional.empty(),
        work.resolve("sandboxes").resolve(id), timeout, restoreFrom);
  }

  @Test
  void bootsPausesResumesAndPowersOffGracefully() throws Exception {
    VmInstance vm = driver.launch(spec(images.image(), BOOT, Optional.empty()));
    assertThat(Files.readString(vm.consoleLog())).contains("STOCKADE-READY");
    // QEMU runs as the sandbox's own uid, in a user namespace that maps only that uid.
    ProcessHandle qemu = ProcessHandle.of(vm.process().pid()).orElseThrow().descendants()
        .filter(h -> h.info().command().orElse("").endsWith("qemu-system-x86_64")).findFirst().orElseThrow();
    assertThat(vm.process().uid()).isPositive();
    assertThat(Files.readString(Path.of("/proc/" + qemu.pid() + "/status"))).containsPattern("Uid:\\s+" + vm.process().uid() + "\\s");
    assertThat(Files.readString(Path.of("/proc/" + qemu.pid() + "/uid_map")).trim().split("\\s+"))
        .containsExactly(Integer.toString(vm.process().uid()), Integer.toString(vm.process().uid()), "1");

    vm.pause();
    assertThat(((QemuInstance) vm).status()).isEqualTo("paused");
    vm.resume();
    assertThat(((QemuInstance) vm).status()).isEqualTo("running");
    vm.writeConsole("echo alive-$((6*7))\n".getBytes(StandardCharsets.UTF_8));
    awaitConsole(vm, "alive-42");

    // A restarted supervisor: the old QMP connection is gone, a new driver reattaches.
    ((QemuInstance) vm).closeConnections();
    QemuDriver restarted = QemuDriver.create(jail, images, QEMU, QemuOptions.of("tcg", 0));
    VmInstance again = restarted.reattach(vm.sandboxId(), vm.persistentState()).orElseThrow();
    assertThat(((QemuInstance) again).status()).isEqualTo("running");

    again.requestShutdown();
    assertThat(vm.onExit().get(60, TimeUnit.SECONDS)).isEqualTo(0);
    assertThat(again.guestRequestedShutdown()).isTrue();
    assertThat(restarted.reattach(vm.sandboxId(), vm.persistentState())).isEmpty();
    assertThat(Files.readString(vm.consoleLog())).contains("STOCKADE-POWEROFF");
  }

  @Test
  void restoredSnapshotKeepsGuestMemoryAndAKillIsReported() throws Exception {
    VmInstance first = driver.launch(spec(images.image(), BOOT, Optional.empty()));
    first.writeConsole("echo $RANDOM$RANDOM > /tmp/v; echo V=$(cat /tmp/v)=\n".getBytes(StandardCharsets.UTF_8));
    String value = awaitConsole(first, "V=(\\d+)=");

    Path snap = Files.createDirectories(work.resolve("snap"));
    first.snapshot(snap);
    assertThat(snap.resolve("memory.bin")).isNotEmptyFile();
    assertThat(snap.resolve("disk.qcow2")).exists();
    assertThat(Files.readString(snap.resolve("manifest.json"))).contains("\"memoryMiB\" : 256");
    assertThat(((QemuInstance) first).status()).isEqualTo("running");
    first.process().killAll();
    first.onExit().get(30, TimeUnit.SECONDS);

    VmInstance second = driver.launch(spec(images.image(), BOOT, Optional.of(snap)));
    second.writeConsole("echo W=$(cat /tmp/v)=\n".getBytes(StandardCharsets.UTF_8));
    assertThat(awaitConsole(second, "W=(\\d+)=")).isEqualTo(value);

    second.process().signal(9);
    assertThat(second.onExit().get(30, TimeUnit.SECONDS)).isEqualTo(128 + 9);
    assertThat(second.guestRequestedShutdown()).isFalse();
  }

  @Test
  void readinessTimeoutFailsWithTheConsoleTailAndLeavesNothing() throws Exception {
    ResolvedImage img = images.image();
    ResolvedImage never = new ResolvedImage(img.name(), img.version(), img.kernel(), img.initrd(), img.rootfs(),
        img.kernelCommandLine(), img.vmmKinds(), "NEVER-PRINTED-LINE");
    LaunchSpec spec = spec(never, Duration.ofSeconds(15), Optional.empty());

    assertThatThrownBy(() -> driver.launch(spec))
        .isInstanceOfSatisfying(VmmException.class, e -> {
          assertThat(e.getMessage()).contains("NEVER-PRINTED-LINE").contains("within PT15S");
          assertThat(e.consoleTail()).contains("STOCKADE-READY");
        });
    assertThat(realJail.base.resolve("jails").resolve(spec.sandboxId())).doesNotExist();
    assertThat(spec.sandboxDir().resolve("disk.qcow2")).doesNotExist();
  }

  /** Waits for a console line matching {@code regex}; returns its first group (or the match). */
  private static String awaitConsole(VmInstance vm, String regex) throws Exception {
    Pattern p = Pattern.compile(regex);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      // Skip the echoed command line itself: match only what the shell printed.
      for (String line : Files.readString(vm.consoleLog()).split("\n")) {
        if (line.contains("echo")) {
          continue;
        }
        Matcher m = p.matcher(line);
        if (m.find()) {
          return m.groupCount() > 0 ? m.group(1) : m.group();
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no console line matching " + regex + ":\n" + ConsoleLog.tail(vm.consoleLog(), 20));
  }
}
