package io.stockade.supervisor.jail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A {@link JailSpec} checked and resolved before anything is created: canonical host paths, the
 * executable's path inside the jail, device numbers read from the host's /dev. Every check fails
 * with a {@link JailException} naming the field, the value and the fix.
 */
record JailPlan(JailSpec spec, String jailExecutable, List<PlannedMount> mounts, List<DeviceNode> devices) {
  private static final Pattern SANDBOX_ID = Pattern.compile("[a-z0-9-]{1,32}");
  private static final Pattern DEVICE = Pattern.compile("[a-z0-9_-]+(/[a-z0-9_-]+)*");
  private static final Set<String> RESERVED = Set.of("/proc", "/dev", "/tmp", "/run");

  record PlannedMount(Path hostPath, String jailPath, boolean writable, boolean directory) {}

  /** A device node; world-accessible host nodes (null, zero, urandom) stay root's 0666. */
  record DeviceNode(String name, char type, int major, int minor, boolean worldAccessible) {}

  static JailPlan of(JailSpec spec) throws JailException {
    if (!SANDBOX_ID.matcher(spec.sandboxId()).matches()) {
      throw invalid("sandboxId", spec.sandboxId(), "use 1 to 32 characters of [a-z0-9-]");
    }
    if (spec.argv().isEmpty()) {
      throw invalid("argv", "[]", "argv needs at least argv[0]");
    }
    for (Map.Entry<String, String> e : spec.env().entrySet()) {
      if (e.getKey().isEmpty() || e.getKey().contains("=") || (e.getKey() + e.getValue()).indexOf('\0') >= 0) {
        throw invalid("env", e.getKey(), "names are non-empty without '=' and nothing holds NUL");
      }
    }
    checkJailPath("workDir", spec.workDir());
    JailSpec.Limits l = spec.limits();
    if (l.memoryBytes() <= 0 || l.pids() <= 0 || l.openFiles() <= 0 || l.cpuMillis() < 0 || l.fileSizeBytes() < 0) {
      throw invalid("limits", l.toString(), "memoryBytes, pids and openFiles must be > 0, the others >= 0");
    }
    if (spec.netns().isPresent() && !Files.exists(spec.netns().get())) {
      throw invalid("netns", spec.netns().get().toString(), "create the network namespace first (ip netns add)");
    }
    Path exe = real("executable", spec.executable());
    if (!Files.isRegularFile(exe) || !Files.isExecutable(exe)) {
      throw invalid("executable", exe.toString(), "it must be an executable regular file");
    }
    if ((mode(exe) & 0005) != 0005) { // the sandbox uid is neither owner nor group
      throw invalid("executable", exe.toString(), "the sandbox's uid cannot read and execute it: chmod o+rx");
    }
    List<PlannedMount> mounts = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (JailSpec.Mount m : spec.mounts()) {
      checkJailPath("mounts.jailPath", m.jailPath());
      if (m.jailPath().equals("/") || reserved(m.jailPath())) {
        throw invalid("mounts.jailPath", m.jailPath(), "/, /proc, /dev, /tmp and /run are the jail's own");
      }
      if (!seen.add(m.jailPath())) {
        throw invalid("mounts.jailPath", m.jailPath(), "each jail path may be mounted once");
      }
      Path host = real("mounts.hostPath", m.hostPath());
      mounts.add(new PlannedMount(host, m.jailPath(), m.writable(), Files.isDirectory(host)));
    }
    String jailExe = null;
    for (PlannedMount m : mounts) {
      String candidate = null;
      if (m.directory() && exe.startsWith(m.hostPath())) {
        candidate = (m.jailPath() + "/" + m.hostPath().relativize(exe)).replaceAll("/+", "/");
      } else if (exe.equals(m.hostPath())) {
        candidate = m.jailPath();
      }
      // Prefer the program's own host path: programs such as QEMU find their data relative to it.
      if (candidate != null && (jailExe == null || candidate.equals(exe.toString()))) {
        jailExe = candidate;
      }
    }
    if (jailExe == null) { // not visible through a mount: bind the file itself, at its host path
      String hostPath = exe.toString();
      jailExe = reserved(hostPath) ? "/.stockade/" + exe.getFileName() : hostPath;
      mounts.add(new PlannedMount(exe, jailExe, false, false));
    }
    mounts.sort(Comparator.comparingInt((PlannedMount m) -> m.jailPath().split("/").length).thenComparing(PlannedMount::jailPath));
    checkNested(mounts);
    List<DeviceNode> devices = new ArrayList<>();
    for (String d : spec.devices()) {
      devices.add(device(d));
    }
    return new JailPlan(spec, jailExe, List.copyOf(mounts), List.copyOf(devices));
  }

  private static boolean reserved(String jailPath) {
    return RESERVED.stream().anyMatch(r -> jailPath.equals(r) || jailPath.startsWith(r + "/"));
  }

  /** A mount inside another mount needs its mount point to exist in the outer mount's source. */
  private static void checkNested(List<PlannedMount> mounts) throws JailException {
    for (PlannedMount inner : mounts) {
      for (PlannedMount outer : mounts) {
        if (outer != inner && inner.jailPath().startsWith(outer.jailPath() + "/")) {
          Path point = outer.hostPath().resolve(inner.jailPath().substring(outer.jailPath().length() + 1));
          if (!Files.exists(point) || Files.isDirectory(point) != inner.directory()) {
            throw invalid("mounts.jailPath", inner.jailPath(),
                "it lies inside the mount of " + outer.hostPath() + ", where " + point + " must exist as a "
                    + (inner.directory() ? "directory" : "file"));
          }
        }
      }
    }
  }

  private static DeviceNode device(String name) throws JailException {
    if (!DEVICE.matcher(name).matches()) {
      throw invalid("devices", name, "name a node under /dev, e.g. kvm, net/tun, urandom");
    }
    Path host = Path.of("/dev", name);
    try {
      Map<String, Object> a = Files.readAttributes(host, "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) a.get("mode");
      long rdev = (Long) a.get("rdev");
      int fmt = mode & 0170000;
      if (fmt != 0020000 && fmt != 0060000) {
        throw invalid("devices", host.toString(), "it is not a character or block device");
      }
      // Linux's dev_t encoding (gnu_dev_major/minor in sys/sysmacros.h)
      int major = (int) (((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffL));
      int minor = (int) ((rdev & 0xff) | ((rdev >> 12) & ~0xffL));
      return new DeviceNode(name, fmt == 0020000 ? 'c' : 'b', major, minor, (mode & 0666) == 0666);
    } catch (IOException e) {
      throw new JailException("validate", Errno.of(e), "devices: " + host + ": " + e.getMessage() + ": the host has no such device");
    }
  }

  private static int mode(Path p) throws JailException {
    try {
      return (Integer) Files.getAttribute(p, "unix:mode");
    } catch (IOException e) {
      throw new JailException("validate", Errno.of(e), p + ": " + e.getMessage());
    }
  }

  private static void checkJailPath(String field, String p) throws JailException {
    if (!p.startsWith("/") || p.contains("/../") || p.endsWith("/..") || p.contains("/./") || p.contains("//")
        || p.indexOf('\0') >= 0 || (p.length() > 1 && p.endsWith("/"))) {
      throw invalid(field, p, "use an absolute, normalised path without \"..\"");
    }
  }

  private static Path real(String field, Path p) throws JailException {
    if (!p.isAbsolute()) {
      throw invalid(field, p.toString(), "use an absolute host path");
    }
    try {
      return p.toRealPath();
    } catch (IOException e) {
      throw new JailException("validate", Errno.of(e), field + ": " + p + ": " + e.getMessage() + ": the host path must exist");
    }
  }

  private static JailException invalid(String field, String value, String fix) {
    return new JailException("validate", Errno.EINVAL, field + " \"" + value + "\" is not valid: " + fix);
  }
}
