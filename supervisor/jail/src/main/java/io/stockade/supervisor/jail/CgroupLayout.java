package io.stockade.supervisor.jail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where this process's cgroups are, in the v2 hierarchy and in every v1 hierarchy that holds a
 * controller the jail needs. Sandboxes are created only beneath these (systemd's Delegate=yes
 * hands the supervisor exactly its own subtree). Read from {@code hostRoot}/proc/self/mountinfo
 * and /proc/self/cgroup, so tests can point it at a fake tree.
 */
final class CgroupLayout {
  /** The controllers the jail uses, by their v1 names (v2 calls blkio "io": see {@link #v2Name}). */
  static final List<String> CONTROLLERS = List.of("memory", "pids", "cpu", "blkio", "cpuset");

  private final Optional<Path> v2;
  private final Set<String> v2Controllers;
  private final Map<String, Path> v1;

  CgroupLayout(Optional<Path> v2, Set<String> v2Controllers, Map<String, Path> v1) {
    this.v2 = v2;
    this.v2Controllers = Set.copyOf(v2Controllers);
    this.v1 = Map.copyOf(v1);
  }

  /** This process's own v2 cgroup directory, if a v2 hierarchy is mounted. */
  Optional<Path> v2() {
    return v2;
  }

  /** Controllers the v2 hierarchy offers (empty on a hybrid host that binds them to v1). */
  Set<String> v2Controllers() {
    return v2Controllers;
  }

  /** This process's own cgroup in the v1 hierarchy of {@code controller}, used only if v2 lacks it. */
  Optional<Path> v1(String controller) {
    return v2Controllers.contains(v2Name(controller)) ? Optional.empty() : Optional.ofNullable(v1.get(controller));
  }

  /** Whether the v2 hierarchy offers {@code controller} (given by its v1 name). */
  boolean onV2(String controller) {
    return v2.isPresent() && v2Controllers.contains(v2Name(controller));
  }

  static String v2Name(String controller) {
    return controller.equals("blkio") ? "io" : controller;
  }

  static CgroupLayout discover(Path hostRoot) throws JailException {
    Path mountinfo = hostRoot.resolve("proc/self/mountinfo");
    Path cgroupFile = hostRoot.resolve("proc/self/cgroup");
    List<String> mounts;
    List<String> own;
    try {
      mounts = Files.readAllLines(mountinfo);
      own = Files.readAllLines(cgroupFile);
    } catch (IOException e) {
      throw new JailException("cgroup_discover", Errno.of(e), "cannot read " + mountinfo + " or " + cgroupFile + ": " + e);
    }
    Map<String, String> ownPath = new HashMap<>(); // "" for v2, else each controller of the line
    for (String line : own) {
      String[] f = line.split(":", 3);
      if (f.length < 3) {
        continue;
      }
      if (f[1].isEmpty()) {
        ownPath.put("", f[2]);
      } else {
        for (String c : f[1].split(",")) {
          ownPath.put(c, f[2]);
        }
      }
    }
    Path v2 = null;
    Map<String, Path> v1 = new HashMap<>();
    for (String line : mounts) {
      // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
      String[] halves = line.split(" - ", 2);
      if (halves.length < 2) {
        continue;
      }
      String[] left = halves[0].split(" ");
      String[] right = halves[1].split(" ");
      if (left.length < 5 || right.length < 3) {
        continue;
      }
      Path mountPoint = under(hostRoot, left[4]);
      if (right[0].equals("cgroup2") && ownPath.containsKey("") && v2 == null) {
        v2 = under(mountPoint, ownPath.get(""));
      } else if (right[0].equals("cgroup")) {
        for (String opt : right[2].split(",")) {
          if (CONTROLLERS.contains(opt) && ownPath.containsKey(opt)) {
            v1.put(opt, under(mountPoint, ownPath.get(opt)));
          }
        }
      }
    }
    Set<String> v2Controllers = Set.of();
    if (v2 != null) {
      try {
        v2Controllers = Set.of(Files.readString(v2.resolve("cgroup.controllers")).trim().split("\\s+"));
      } catch (IOException e) {
        throw new JailException("cgroup_discover", Errno.of(e), "cannot read " + v2.resolve("cgroup.controllers") + ": " + e);
      }
    }
    return new CgroupLayout(Optional.ofNullable(v2), v2Controllers, v1);
  }

  private static Path under(Path base, String absolute) {
    String rel = absolute.replace("\\040", " ").replaceFirst("^/+", "");
    return rel.isEmpty() ? base : base.resolve(rel);
  }

  @Override
  public String toString() {
    return "CgroupLayout{v2=" + v2 + " " + v2Controllers + ", v1=" + v1 + "}";
  }
}
