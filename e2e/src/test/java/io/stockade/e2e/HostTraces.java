package io.stockade.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
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
   * How to recognise a sandbox's network on the host, recorded while it runs: its namespace's
   * name and inode, the ifindex of its veth's host end, its address. Names and addresses are not enough:
   * the daemon keeps spare slots, so a freed slot's names and addresses come back at once for a
   * spare; an ifindex is not handed out again so soon, and a recycled inode comes with another name.
   */
  record SandboxNet(String netnsName, long netnsInode, int hostLinkIndex, String guestAddress) {
    static final SandboxNet NONE = new SandboxNet(null, 0, 0, null);

    static SandboxNet of(ProcessHandle vmm, FakeInternet net, String guestAddress) {
      long inode = HostTraces.netnsInode(vmm);
      String name = null;
      for (String n : netnsNames()) {
        if (HostTraces.netnsInode(Path.of("/run/netns", n)) == inode) {
          name = n;
        }
      }
      int index = 0;
      for (String line : Shell.run("ip", "-n", net.hostNs, "-o", "link").out().split("\n")) {
        if (name != null && (line.contains(" link-netns " + name + " ") || line.endsWith(" link-netns " + name))) {
          index = Integer.parseInt(line.substring(0, line.indexOf(':')));
        }
      }
      return new SandboxNet(name, inode, index, guestAddress);
    }
  }

  /** Every trace of {@code sandboxId}; {@code sandboxNet} says how to recognise its network. */
  static List<String> find(String sandboxId, SupervisorProcess d, FakeInternet net, SandboxNet sandboxNet) {
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
    // Name and inode together: nsfs inodes are recycled at once for other namespaces, and the
    // name comes back for a spare slot, but not both for the same namespace.
    if (sandboxNet.netnsName() != null
        && netnsInode(Path.of("/run/netns", sandboxNet.netnsName())) == sandboxNet.netnsInode()) {
      traces.add("netns " + sandboxNet.netnsName() + " (the sandbox's own, inode " + sandboxNet.netnsInode() + ")");
    }
    if (sandboxNet.hostLinkIndex() != 0) {
      for (String line : Shell.run("ip", "-n", net.hostNs, "-o", "link").out().split("\n")) {
        if (line.startsWith(sandboxNet.hostLinkIndex() + ":")) {
          traces.add("host veth in " + net.hostNs + ": " + line);
        }
      }
    }
    if (sandboxNet.guestAddress() != null) {
      String addr = sandboxNet.guestAddress().replaceAll("/.*", "");
      if (net.hostRuleset().matches("(?s).*\\b" + Pattern.quote(addr) + "\\b.*")) {
        traces.add("nft element for " + addr + " in " + net.hostNs);
      }
    }
    return traces;
  }

  /** The inode of a network namespace: /proc/PID/ns/net or a /run/netns/NAME bind mount; 0 if gone. */
  static long netnsInode(Path nsFile) {
    try {
      return ((Number) Files.getAttribute(nsFile, "unix:ino")).longValue();
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  static long netnsInode(ProcessHandle p) {
    return netnsInode(Path.of("/proc/" + p.pid() + "/ns/net"));
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
