package io.stockade.supervisor.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.supervisor.net.SandboxNetwork;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmInstance;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A guest on a TAP inside a network namespace this test builds by hand (the net module builds
 * the real ones): QEMU enters the namespace, opens the TAP, and the guest configured from the
 * kernel's ip= argument answers pings from the namespace's side.
 */
class QemuNetworkTest {
  private static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
  private final String suffix = UUID.randomUUID().toString().substring(0, 6);
  private final String netns = "stk-vm-" + suffix;
  private final String tap = "stkvm" + suffix;
  private Path work;
  private RealJail jail;
  private DirectoryImageResolverFake images;
  private QemuDriver driver;
  private String id;

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(Boolean.parseBoolean(System.getProperty("stockade.slowTests", "true")), "slow tests disabled");
    assumeTrue(Files.isExecutable(QEMU), "qemu-system-x86_64 is not installed");
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root for network namespaces");
    assumeTrue(Files.exists(Path.of("/dev/net/tun")), "no /dev/net/tun");
    assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox (for ping) is not installed");
    Path imageDir = Path.of(System.getProperty("stockade.imageDir", "out/images/default"));
    Optional<DirectoryImageResolverFake> found = DirectoryImageResolverFake.of(imageDir);
    assumeTrue(found.isPresent(), "no default image in " + imageDir + ": run scripts/build-image");
    images = found.get();
    work = Files.createTempDirectory("stk-vm-net-");
    jail = RealJail.create("qemunet", 920_064);
    driver = QemuDriver.create(jail.launcher, images, QEMU, QemuOptions.of("tcg", HostTsc.khz().orElse(0)));
    id = "stk-vm-" + suffix;
    // As the net module does: the TAP belongs to the sandbox's uid, so the jailed QEMU may open it.
    int uid = jail.launcher.reserveUid(id);
    run("ip", "netns", "add", netns);
    run("ip", "-n", netns, "tuntap", "add", "dev", tap, "mode", "tap", "user", Integer.toString(uid));
    run("ip", "-n", netns, "addr", "add", "10.213.7.1/30", "dev", tap);
    run("ip", "-n", netns, "link", "set", tap, "up");
  }

  @AfterEach
  void tearDown() throws Exception {
    if (driver != null) {
      driver.cleanup(id);
      run("ip", "netns", "del", netns);
      jail.close();
      SandboxFiles.deleteRecursively(work);
    }
  }

  @Test
  void theGuestIsReachableOnItsTapInsideTheNamespace() throws Exception {
    SandboxNetwork net = new SandboxNetwork(id, 7, Path.of("/run/netns", netns), tap, "02:53:54:00:07:02",
        "10.213.7.2", 30, "10.213.7.1", List.of());
    VmInstance vm = driver.launch(new LaunchSpec(id, 1, 256, Optional.of(images.image()), List.of(), Optional.of(net),
        work.resolve("sb"), Duration.ofSeconds(60), Optional.empty()));

    assertThat(Files.readString(vm.consoleLog())).contains("STOCKADE-READY");
    assertThat(run("ip", "netns", "exec", netns, "busybox", "ping", "-c", "1", "-W", "5", "10.213.7.2")).isZero();
    vm.process().killAll();
    vm.onExit().get(30, TimeUnit.SECONDS);
  }

  private static int run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", cmd) + " hung");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      System.err.println(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out);
    }
    return p.exitValue();
  }
}
