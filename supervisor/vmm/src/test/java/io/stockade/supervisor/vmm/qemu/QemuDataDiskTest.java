package io.stockade.supervisor.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A real QEMU guest (TCG, default image, real jail) sees its data disks as vdb, vdc. */
class QemuDataDiskTest {
  private static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");

  private Path work;
  private DirectoryImageResolverFake images;
  private RealJail realJail;
  private QemuDriver driver;
  private String id;

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(Boolean.parseBoolean(System.getProperty("stockade.slowTests", "true")), "slow tests disabled");
    assumeTrue(Files.isExecutable(QEMU), "qemu-system-x86_64 is not installed");
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root for mount namespaces");
    Path imageDir = Path.of(System.getProperty("stockade.imageDir", "out/images/default"));
    Optional<DirectoryImageResolverFake> img = DirectoryImageResolverFake.of(imageDir);
    assumeTrue(img.isPresent(), "no default image in " + imageDir + ": run scripts/build-image");
    images = img.get();
    work = Files.createTempDirectory("stk-dk-qemu-");
    realJail = RealJail.create("dk", 921_000);
    driver = QemuDriver.create(realJail.launcher, images, QEMU, QemuOptions.of("tcg", HostTsc.khz().orElse(0)));
    id = "stk-dk-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @AfterEach
  void tearDown() {
    if (driver != null) {
      driver.cleanup(id);
    }
    if (realJail != null) {
      realJail.close();
    }
    if (work != null) {
      SandboxFiles.deleteRecursively(work);
    }
  }

  @Test
  void guestSeesEachDataDiskWithItsSizeAndCanWriteIt() throws Exception {
    Path dir = work.resolve("sandboxes").resolve(id);
    Path d0 = images.createDataDisk(dir.resolve("data-0.qcow2"), 64);
    Path d1 = images.createDataDisk(dir.resolve("data-1.qcow2"), 32);
    long before = Files.size(d0);
    VmInstance vm = driver.launch(new LaunchSpec(id, 1, 256, Optional.of(images.image()), List.of(), Optional.empty(),
        dir, Duration.ofSeconds(60), Optional.empty(), List.of(d0, d1)));
    // sizes in 512-byte sectors: 64 MiB = 131072, 32 MiB = 65536
    vm.writeConsole(("echo B=$(cat /sys/block/vdb/size)=$(cat /sys/block/vdc/size)=;"
        + " head -c 1048576 /dev/urandom > /dev/vdb && sync && echo W=done=\n").getBytes(StandardCharsets.UTF_8));
    assertThat(awaitConsole(vm, "B=(\\d+=\\d+)=")).isEqualTo("131072=65536");
    awaitConsole(vm, "W=(done)=");
    vm.process().killAll();
    vm.onExit().get(30, TimeUnit.SECONDS);
    // The guest's write reached the host file (qcow2 grows as clusters are allocated).
    assertThat(Files.size(d0)).isGreaterThan(before + 512 * 1024);
    assertThat(d0).exists(); // the driver leaves data disks alone: Destroy removes the directory
  }

  @Test
  void aMissingDataDiskIsRefusedBeforeAnythingStarts() {
    Path dir = work.resolve("sandboxes").resolve(id);
    LaunchSpec spec = new LaunchSpec(id, 1, 256, Optional.of(images.image()), List.of(), Optional.empty(),
        dir, Duration.ofSeconds(60), Optional.empty(), List.of(dir.resolve("data-0.qcow2")));
    assertThatThrownBy(() -> driver.launch(spec)).isInstanceOf(VmmException.class)
        .hasMessageContaining("data disk " + dir.resolve("data-0.qcow2") + " does not exist");
    assertThat(dir.resolve("disk.qcow2")).doesNotExist();
    assertThat(realJail.base.resolve("jails").resolve(id)).doesNotExist();
  }

  private static String awaitConsole(VmInstance vm, String regex) throws Exception {
    Pattern p = Pattern.compile(regex);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      for (String line : Files.readString(vm.consoleLog()).split("\n")) {
        if (line.contains("echo")) {
          continue;
        }
        Matcher m = p.matcher(line);
        if (m.find()) {
          return m.group(1);
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no console line matching " + regex + ":\n" + ConsoleLog.tail(vm.consoleLog(), 20));
  }
}
