package io.stockade.supervisor.preflight;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where this process's own cgroup is in each hierarchy, from /proc/self/cgroup and
 * /proc/self/mountinfo (read under an injectable root). Hybrid hosts mount cgroup2 next to v1
 * hierarchies, and a controller bound to v1 is absent from v2, so each is looked up separately.
 *
 * @param v2Dir this process's cgroup directory in the cgroup2 hierarchy, if mounted
 * @param v2Mount the cgroup2 mount point, if mounted
 * @param v1Dirs v1 controller name (e.g. "memory", "blkio") to this process's cgroup directory
 */
record CgroupLayout(Optional<Path> v2Dir, Optional<String> v2Mount, Map<String, Path> v1Dirs) {

  /** One mountinfo line, reduced to what matters (proc(5), /proc/pid/mountinfo). */
  record Mount(String root, String mountPoint, String fsType, List<String> superOptions) {}

  static CgroupLayout discover(HostRoot host) {
    List<Mount> mounts = mounts(host.read("/proc/self/mountinfo").orElse(""));
    Optional<Path> v2Dir = Optional.empty();
    Optional<String> v2Mount = Optional.empty();
    Map<String, Path> v1 = new LinkedHashMap<>();
    for (String line : host.read("/proc/self/cgroup").orElse("").lines().toList()) {
      String[] parts = line.split(":", 3);
      if (parts.length != 3) {
        continue;
      }
      String path = parts[2];
      if (parts[0].equals("0") && parts[1].isEmpty()) {
        for (Mount m : mounts) {
          if (m.fsType().equals("cgroup2") && within(path, m.root())) {
            v2Dir = Optional.of(dir(host, m, path));
            v2Mount = Optional.of(m.mountPoint());
            break;
          }
        }
        continue;
      }
      for (String controller : parts[1].split(",")) {
        if (controller.isEmpty() || controller.startsWith("name=")) {
          continue;
        }
        for (Mount m : mounts) {
          if (m.fsType().equals("cgroup")
              && m.superOptions().contains(controller)
              && within(path, m.root())) {
            v1.put(controller, dir(host, m, path));
            break;
          }
        }
      }
    }
    return new CgroupLayout(v2Dir, v2Mount, v1);
  }

  static List<Mount> mounts(String mountinfo) {
    List<Mount> mounts = new ArrayList<>();
    for (String line : mountinfo.lines().toList()) {
      String[] f = line.split(" ");
      int dash = List.of(f).indexOf("-");
      if (dash < 5 || dash + 1 >= f.length) {
        continue;
      }
      List<String> superOpts = dash + 3 < f.length ? List.of(f[dash + 3].split(",")) : List.of();
      mounts.add(new Mount(unescape(f[3]), unescape(f[4]), f[dash + 1], superOpts));
    }
    return mounts;
  }

  private static boolean within(String path, String root) {
    return root.equals("/") || path.equals(root) || path.startsWith(root + "/");
  }

  private static Path dir(HostRoot host, Mount m, String path) {
    String rel = m.root().equals("/") ? path : path.substring(m.root().length());
    String joined = (m.mountPoint() + "/" + rel).replaceAll("/+", "/");
    if (joined.length() > 1 && joined.endsWith("/")) {
      joined = joined.substring(0, joined.length() - 1);
    }
    return host.resolve(joined);
  }

  /** mountinfo escapes space, tab, newline and backslash as \ooo. */
  static String unescape(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
        out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
