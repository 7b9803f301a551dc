package io.stockade.supervisor.vmm.support;

import io.stockade.supervisor.jail.JailSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The host's program directories, bound read-only into a jail so a dynamically linked VMM (or
 * /bin/sh for the process kind) and its loader find their libraries. On a merged-/usr host
 * /bin, /lib and /lib64 are symlinks into /usr; binding them follows the link, so the jail sees
 * the same paths the binary was linked against.
 */
public final class SystemMounts {
  private static final List<String> DIRS = List.of("/usr", "/bin", "/sbin", "/lib", "/lib64");

  private SystemMounts() {}

  public static List<JailSpec.Mount> readOnly() {
    List<JailSpec.Mount> mounts = new ArrayList<>();
    for (String d : DIRS) {
      Path p = Path.of(d);
      if (Files.isDirectory(p)) {
        mounts.add(new JailSpec.Mount(p, d, false));
      }
    }
    return mounts;
  }
}
