package io.stockade.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What an end-to-end test needs, each checked with a JUnit assumption so a missing capability
 * skips the test with the reason instead of failing it.
 */
final class Prerequisites {
  static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");

  private Prerequisites() {}

  static Path repoDir() {
    String dir = System.getProperty("stockade.repoDir");
    assumeTrue(dir != null && !dir.isEmpty(), "system property stockade.repoDir is not set (run through Maven)");
    return Path.of(dir);
  }

  /** Root, the commands the harness drives, both packaged jars. */
  static void assumeHost() {
    assumeTrue("root".equals(System.getProperty("user.name")),
        "end-to-end tests need root (they create users, network namespaces and run the daemon)");
    for (String c : new String[] {"ip", "nft", "useradd", "userdel", "setpriv", "socat", "nsenter"}) {
      assumeTrue(Shell.hasCommand(c), "command '" + c + "' is missing: run scripts/setup-debian.sh");
    }
    assumeTrue(Files.isDirectory(Path.of("/run/netns")) || Shell.run("ip", "netns", "list").ok(),
        "network namespaces are not usable here");
    daemonJar();
    cliJar();
  }

  static Path daemonJar() {
    Path jar = repoDir().resolve("supervisor/daemon/target/stockade-supervisor.jar");
    assumeTrue(Files.isRegularFile(jar), jar + " is missing: the daemon module does not build its shaded jar yet"
        + " (mvn -pl e2e -am verify builds it when it does)");
    return jar;
  }

  static Path cliJar() {
    Path jar = repoDir().resolve("client/target/stockade-cli.jar");
    assumeTrue(Files.isRegularFile(jar), jar + " is missing: the client module does not build its shaded CLI jar yet");
    return jar;
  }

  static void assumeQemu() {
    assumeTrue(Files.isExecutable(QEMU), QEMU + " is missing: apt-get install qemu-system-x86");
  }

  /** The default image built by scripts/build-image: kernel, initramfs, rootfs and catalog. */
  static Path imageDir() {
    String dir = System.getProperty("stockade.imageDir");
    assumeTrue(dir != null && !dir.isEmpty(), "system property stockade.imageDir is not set (run through Maven)");
    Path p = Path.of(dir);
    for (String f : new String[] {"catalog.json", "vmlinuz", "initramfs.cpio.gz", "rootfs.ext4"}) {
      assumeTrue(Files.isRegularFile(p.resolve(f)), p.resolve(f) + " is missing: run scripts/build-image");
    }
    return p;
  }

  /** -Dstockade.slowTests=false skips the guest-booting scenarios. */
  static void assumeSlowTests() {
    assumeTrue(!"false".equals(System.getProperty("stockade.slowTests")),
        "slow tests are off (-Dstockade.slowTests=false)");
  }
}
