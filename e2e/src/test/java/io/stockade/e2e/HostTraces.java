package io.stockade.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a sandbox leaves on the host, looked for from outside the daemon: files named after it,
 * mounts, cgroups, processes, network namespaces, routes and firewall elements. A destroyed sandbox
 * must leave none of them.
 */
final class HostTraces {
  private HostTraces() {}

  /** Names of the network namespaces under /run/netns. */
  static Set<String> netnsNames() {
    Set<String> names = new TreeSet<>();
    for (String line : Shell.run("ip", "netns", "list").out().split("\n")) {
      if (!line.isBlank()) {
        names.add(line.strip().split("\\s+")[0]);
      }
    }
    return names;
  }

  /**
   * Every trace of {@code sandboxId}; {@code netnsBefore} is the namespace list taken before it
   * was created, {@code guestAddress} its address (or null without network).
   */
  static List<String> find(String sandboxId, SupervisorProcess d, FakeInternet net, Set<String> netnsBefore,
      String guestAddress) {
    List<String> traces = new ArrayList<>();
    for (Path dir : List.of(d.stateDir, d.sandboxesDir, d.jailsDir, d.runDir)) {
      namedAfter(dir, sandboxId, 6).forEach(p -> traces.add("file " + p));
    }
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        if (line.contains(sandboxId) || line.contains(d.jailsDir.toString())) {
          traces.add("mount " + line);
        }
      }
    } catch (IOException e) {
      traces.add("cannot read mountinfo: " + e.getMessage());
    }
    for (Path cg : cgroupRoots(d.pid())) {
      namedAfter(cg, sandboxId, 5).forEach(p -> traces.add("cgroup " + p));
    }
    for (ProcessHandle p : processesOf(sandboxId)) {
      traces.add("process " + p.pid() + " " + p.info().commandLine().orElse("?"));
    }
    Set<String> now = netnsNames();
    now.removeAll(netnsBefore);
    now.removeIf(n -> !n.matches("stk-?\\d+"));
    now.forEach(n -> traces.add("netns " + n));
    if (guestAddress != null) {
      String addr = guestAddress.replaceAll("/.*", "");
      String net3 = addr.substring(0, addr.lastIndexOf('.') + 1);
      String ruleset = net.hostRuleset();
      if (ruleset.contains(addr)) {
        traces.add("nft element for " + addr + " in " + net.hostNs);
      }
      for (String route : Shell.run("ip", "-n", net.hostNs, "route").out().split("\n")) {
        if (route.startsWith(net3)) {
          traces.add("route in " + net.hostNs + ": " + route);
        }
      }
    }
    return traces;
  }

  /** Paths beneath {@code dir} whose file name contains {@code needle}; never crosses mounts. */
  static List<Path> namedAfter(Path dir, String needle, int depth) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(dir, depth)) {
      return s.filter(p -> p.getFileName() != null && p.getFileName().toString().contains(needle)).toList();
    } catch (IOException | java.io.UncheckedIOException e) {
      return List.of(dir.resolve("(unreadable: " + e.getMessage() + ")"));
    }
  }

  /** The daemon's own cgroup in every hierarchy: sandboxes' cgroups are created beneath it. */
  static List<Path> cgroupRoots(long pid) {
    List<Path> roots = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
        String[] f = line.split(":", 3);
        if (f.length < 3) {
          continue;
        }
        Path mount;
        if (f[0].equals("0")) {
          mount = Files.isDirectory(Path.of("/sys/fs/cgroup/unified")) ? Path.of("/sys/fs/cgroup/unified") : Path.of("/sys/fs/cgroup");
        } else {
          String ctrl = f[1].startsWith("name=") ? f[1].substring(5) : f[1].split(",")[0];
          mount = Path.of("/sys/fs/cgroup", ctrl);
        }
        // The daemon may have moved itself into a leaf: search from its parent.
        Path p = mount.resolve(f[2].substring(1));
        roots.add(p.equals(mount) ? p : p.getParent());
      }
    } catch (IOException e) {
      // The daemon is gone: fall back to every hierarchy's top (searching deeper costs time only).
      roots.add(Path.of("/sys/fs/cgroup"));
    }
    return roots;
  }

  /** Processes whose command line or cgroup names the sandbox. */
  static List<ProcessHandle> processesOf(String sandboxId) {
    List<ProcessHandle> found = new ArrayList<>();
    ProcessHandle.allProcesses().forEach(h -> {
      if (h.pid() == ProcessHandle.current().pid()) {
        return;
      }
      if (read("/proc/" + h.pid() + "/cmdline").contains(sandboxId) || read("/proc/" + h.pid() + "/cgroup").contains(sandboxId)) {
        found.add(h);
      }
    });
    return found;
  }

  /** The sandbox's QEMU process (comm "qemu-system-x86"), if one runs. */
  static List<ProcessHandle> qemuOf(String sandboxId) {
    return processesOf(sandboxId).stream().filter(h -> read("/proc/" + h.pid() + "/comm").startsWith("qemu")).toList();
  }

  static String read(String file) {
    try {
      return new String(Files.readAllBytes(Path.of(file)), StandardCharsets.UTF_8).replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }
}
