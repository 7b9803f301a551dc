package io.stockade.supervisor.preflight;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * cgroup v2 first, v1 per controller as the fallback: a controller counts as usable on v2 when it
 * is listed in this process's own cgroup.controllers (the parent enabled it for us, so the daemon
 * can enable it in its own subtree_control after moving into a leaf). Only the daemon's own
 * subtree is ever used, never written here.
 */
final class CgroupChecks {
  /** v2 controller name to its v1 hierarchy's name. */
  static final Map<String, String> CONTROLLERS =
      Map.of("cpu", "cpu", "memory", "memory", "pids", "pids", "io", "blkio", "cpuset", "cpuset");

  static final List<String> ORDER = List.of("cpu", "memory", "pids", "io", "cpuset");

  private CgroupChecks() {}

  static List<CheckResult> check(HostRoot host) {
    CgroupLayout layout = CgroupLayout.discover(host);
    List<CheckResult> results = new ArrayList<>();
    if (layout.v2Dir().isEmpty() && layout.v1Dirs().isEmpty()) {
      results.add(
          CheckResult.fatal(
              "cgroup.hierarchy",
              "no cgroup hierarchy for this process (no cgroup2 or v1 controller mount in "
                  + host.resolve("/proc/self/mountinfo") + ")",
              "mount cgroup2 at /sys/fs/cgroup (systemd does this at boot); in a container, give"
                  + " it a writable cgroup namespace"));
      return results;
    }
    Set<String> v2Controllers = Set.of();
    if (layout.v2Dir().isPresent()) {
      Path dir = layout.v2Dir().get();
      v2Controllers = Set.of(words(dir.resolve("cgroup.controllers")).toArray(String[]::new));
      String found = "cgroup2 at " + layout.v2Mount().orElseThrow() + ", own cgroup " + dir
          + ", controllers [" + String.join(" ", words(dir.resolve("cgroup.controllers")))
          + "], subtree_control [" + String.join(" ", words(dir.resolve("cgroup.subtree_control"))) + "]";
      if (Files.isWritable(dir)) {
        results.add(CheckResult.ok("cgroup.v2", found));
      } else {
        results.add(
            CheckResult.fail(
                "cgroup.v2",
                found + "; not writable",
                "run under systemd with Delegate=yes (stockade.service has it), so the unit's"
                    + " cgroup belongs to the supervisor"));
      }
      results.add(cgroupKill(dir, layout.v2Mount().map(host::resolve).orElseThrow()));
    } else {
      results.add(
          CheckResult.warn(
              "cgroup.v2",
              "no cgroup2 hierarchy mounted: v1 only",
              "boot with systemd.unified_cgroup_hierarchy=1 for cgroup v2 (cgroup.kill, one"
                  + " hierarchy); v1 works with reduced guarantees"));
    }
    for (String controller : ORDER) {
      results.add(controller(controller, v2Controllers, layout.v1Dirs().get(CONTROLLERS.get(controller)), layout));
    }
    return results;
  }

  /** Whether {@code v2Name} (cpu, memory, pids, io, cpuset) is usable on v2 or through its v1 hierarchy. */
  static boolean usable(HostRoot host, String v2Name) {
    CgroupLayout layout = CgroupLayout.discover(host);
    if (layout.v2Dir().isPresent() && words(layout.v2Dir().get().resolve("cgroup.controllers")).contains(v2Name)) {
      return true;
    }
    Path v1 = layout.v1Dirs().get(CONTROLLERS.get(v2Name));
    return v1 != null && Files.isDirectory(v1);
  }

  private static CheckResult controller(
      String name, Set<String> v2Controllers, Path v1Dir, CgroupLayout layout) {
    String id = "cgroup." + name;
    if (v2Controllers.contains(name)) {
      return CheckResult.ok(id, name + " on cgroup v2 (" + layout.v2Dir().orElseThrow() + ")");
    }
    String v2Note =
        layout.v2Dir().isPresent()
            ? "cgroup2 at " + layout.v2Mount().orElseThrow() + " lacks " + name
            : "no cgroup2";
    if (v1Dir != null && Files.isDirectory(v1Dir)) {
      return CheckResult.warn(
          id,
          name + " only on cgroup v1 at " + v1Dir + " (" + v2Note + ")",
          "limits for " + name + " go through v1 here; for v2 boot with"
              + " systemd.unified_cgroup_hierarchy=1 (a controller bound to v1 cannot serve v2)");
    }
    String v1Note = v1Dir == null ? "no v1 hierarchy" : "v1 cgroup " + v1Dir + " missing";
    return CheckResult.fail(
        id,
        name + " controller unusable: " + v2Note + ", " + v1Note,
        "enable the " + name + " controller for the supervisor's cgroup: under systemd,"
            + " Delegate=yes (stockade.service) delegates every controller the kernel has; check"
            + " the kernel has it (/proc/cgroups) and that the parent cgroup's subtree_control"
            + " lists it");
  }

  /**
   * The root cgroup has no cgroup.kill (only children do), so when the supervisor sits in the
   * root the kernel's support is read from any existing child instead.
   */
  static CheckResult cgroupKill(Path dir, Path mountDir) {
    if (Files.exists(dir.resolve("cgroup.kill"))) {
      return CheckResult.ok("cgroup.kill", dir.resolve("cgroup.kill") + " present");
    }
    if (dir.equals(mountDir)) {
      try (var children = Files.list(dir)) {
        Optional<Path> child = children.filter(Files::isDirectory).findFirst();
        if (child.isEmpty()) {
          return CheckResult.ok(
              "cgroup.kill",
              "own cgroup is the hierarchy root (no cgroup.kill there, and no child to tell"
                  + " support from); the daemon moves into a child cgroup at start");
        }
        if (Files.exists(child.get().resolve("cgroup.kill"))) {
          return CheckResult.ok("cgroup.kill", "supported (" + child.get().resolve("cgroup.kill") + ")");
        }
      } catch (IOException e) {
        // Unreadable root: fall through to "not found".
      }
    }
    return CheckResult.warn(
        "cgroup.kill",
        "no cgroup.kill in " + dir + " (kernel older than 5.14)",
        "none needed: teardown freezes the cgroup and kills each pid in cgroup.procs; a 5.14+"
            + " kernel makes it a single atomic write");
  }

  private static List<String> words(Path file) {
    try (var in = Files.newInputStream(file)) {
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
      return text.isEmpty() ? List.of() : List.of(text.split("\\s+"));
    } catch (IOException e) {
      return List.of();
    }
  }
}
