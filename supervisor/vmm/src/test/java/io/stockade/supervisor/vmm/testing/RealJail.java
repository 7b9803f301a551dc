package io.stockade.supervisor.vmm.testing;

import io.stockade.supervisor.jail.JailConfig;
import io.stockade.supervisor.jail.LinuxJailLauncher;
import io.stockade.supervisor.vmm.support.SandboxFiles;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real jail ({@link LinuxJailLauncher}) for end-to-end tests: its own state directory under
 * /tmp and its own uid range per test class, so classes running side by side never collide.
 */
public final class RealJail implements AutoCloseable {
  public final Path base;
  public final LinuxJailLauncher launcher;

  private RealJail(Path base, LinuxJailLauncher launcher) {
    this.base = base;
    this.launcher = launcher;
  }

  /** @param uidBase a range of 64 uids nobody else uses (the vmm tests use 920_000 and up) */
  public static RealJail create(String tag, int uidBase) throws Exception {
    Path base = Files.createTempDirectory("stk-vm-jail-" + tag + "-");
    JailConfig config = JailConfig.defaults(base).withUidRange(uidBase, 64).withCgroupPrefix("");
    return new RealJail(base, LinuxJailLauncher.create(config));
  }

  @Override
  public void close() {
    SandboxFiles.deleteRecursively(base);
  }
}
