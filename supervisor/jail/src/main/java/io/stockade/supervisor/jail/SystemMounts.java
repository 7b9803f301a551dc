package io.stockade.supervisor.jail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The read-only host mounts a dynamically linked program needs to run in a jail: the loader,
 * the libraries, ld.so.cache, and the usual bin directories.
 *
 * <p>Trade-off: these expose the host's installed programs and libraries (read-only, nosuid,
 * nodev) to the workload. They hold no secrets on a normal host, and the workload still cannot
 * gain privileges from them (no capabilities, no_new_privs, seccomp), but it can read and run
 * anything installed there. A statically linked workload, or one that ships its own root, needs
 * none of them; the VMM drivers use them to run QEMU, which is dynamically linked.
 */
public final class SystemMounts {
  private static final List<String> CANDIDATES = List.of(
      "/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin", "/etc/ld.so.cache", "/etc/alternatives");

  private SystemMounts() {}

  /** Read-only mounts of whichever of the usual system paths exist on this host. */
  public static List<JailSpec.Mount> readOnly() {
    return readOnly(List.of());
  }

  /** As {@link #readOnly()}, plus more host paths (e.g. /usr/share/qemu is already under /usr). */
  public static List<JailSpec.Mount> readOnly(List<String> extra) {
    List<JailSpec.Mount> out = new ArrayList<>();
    List<String> all = new ArrayList<>(CANDIDATES);
    all.addAll(extra);
    for (String p : all) {
      Path host = Path.of(p);
      // On merged-/usr hosts /bin, /lib ... are symlinks into /usr: bind the link's target path
      // at the link's path so that "/lib64/ld-linux-x86-64.so.2" resolves inside the jail too.
      if (Files.exists(host)) {
        out.add(new JailSpec.Mount(host, p, false));
      }
    }
    return List.copyOf(out);
  }
}
