package io.stockade.supervisor.jail;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Host-wide settings of the jail launcher.
 *
 * @param jailsDir where each sandbox's jail directory is created ({@code <jailsDir>/<sandboxId>})
 * @param execStage the native exec stage to run; empty extracts the one shipped in the jar into
 *     {@code nativeDir} (installed hosts point this at /usr/libexec/stockade/stockade-exec)
 * @param nativeDir root-owned 0700 directory the shipped exec stage is extracted to
 * @param uidBase first uid (and gid) handed to sandboxes
 * @param uidCount how many uids the range holds
 * @param leaseDir one lease file per uid in use
 * @param hostRoot where /proc and /sys are found; "/" except in tests of cgroup discovery
 * @param cgroupPrefix prepended to the sandbox id to name its cgroups
 * @param consoleMaxBytes console.log is rotated to console.log.1 at this size (so at most twice
 *     this on disk per sandbox)
 * @param tmpBytes size of each jail's /tmp (tmpfs, charged to the sandbox's memory cgroup)
 */
public record JailConfig(
    Path jailsDir,
    Optional<Path> execStage,
    Path nativeDir,
    int uidBase,
    int uidCount,
    Path leaseDir,
    Path hostRoot,
    String cgroupPrefix,
    long consoleMaxBytes,
    long tmpBytes) {

  public static final int DEFAULT_UID_BASE = 900_000;
  public static final int DEFAULT_UID_COUNT = 65_536;

  public JailConfig {
    Objects.requireNonNull(jailsDir, "jailsDir");
    Objects.requireNonNull(execStage, "execStage");
    Objects.requireNonNull(nativeDir, "nativeDir");
    Objects.requireNonNull(leaseDir, "leaseDir");
    Objects.requireNonNull(hostRoot, "hostRoot");
    Objects.requireNonNull(cgroupPrefix, "cgroupPrefix");
    if (uidBase < 1000 || uidCount < 1 || (long) uidBase + uidCount > Integer.MAX_VALUE - 1) {
      throw new IllegalArgumentException(
          "uid range " + uidBase + "+" + uidCount + " is not valid: it must start at 1000 or above");
    }
    if (!cgroupPrefix.matches("[a-z0-9-]{0,32}")) {
      throw new IllegalArgumentException("cgroupPrefix \"" + cgroupPrefix + "\" must match [a-z0-9-]{0,32}");
    }
  }

  /** Defaults for an installed host, everything under {@code stateDir} (e.g. /var/lib/stockade). */
  public static JailConfig defaults(Path stateDir) {
    return new JailConfig(
        stateDir.resolve("jails"),
        Optional.empty(),
        stateDir.resolve("libexec"),
        DEFAULT_UID_BASE,
        DEFAULT_UID_COUNT,
        stateDir.resolve("uid-leases"),
        Path.of("/"),
        "stockade-",
        8L << 20,
        64L << 20);
  }

  public JailConfig withUidRange(int base, int count) {
    return new JailConfig(jailsDir, execStage, nativeDir, base, count, leaseDir, hostRoot, cgroupPrefix, consoleMaxBytes, tmpBytes);
  }

  public JailConfig withCgroupPrefix(String prefix) {
    return new JailConfig(jailsDir, execStage, nativeDir, uidBase, uidCount, leaseDir, hostRoot, prefix, consoleMaxBytes, tmpBytes);
  }

  public JailConfig withExecStage(Path stage) {
    return new JailConfig(jailsDir, Optional.of(stage), nativeDir, uidBase, uidCount, leaseDir, hostRoot, cgroupPrefix, consoleMaxBytes, tmpBytes);
  }

  public JailConfig withHostRoot(Path root) {
    return new JailConfig(jailsDir, execStage, nativeDir, uidBase, uidCount, leaseDir, root, cgroupPrefix, consoleMaxBytes, tmpBytes);
  }

  public JailConfig withConsoleMaxBytes(long bytes) {
    return new JailConfig(jailsDir, execStage, nativeDir, uidBase, uidCount, leaseDir, hostRoot, cgroupPrefix, bytes, tmpBytes);
  }
}
