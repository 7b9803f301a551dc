package io.stockade.supervisor.vmm.testing;

import io.stockade.supervisor.jail.JailException;
import io.stockade.supervisor.jail.JailLauncher;
import io.stockade.supervisor.jail.JailSpec;
import io.stockade.supervisor.jail.JailedProcess;
import io.stockade.supervisor.jail.ResourceUsage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Test stand-in for the jail until the real {@code LinuxJailLauncher} is merged. It CONFINES
 * NOTHING that matters for security (no seccomp, no uid change, no cgroup, no pid namespace): it
 * only reproduces the jail's file view, so drivers can use jail paths. It runs the program in a
 * private mount namespace ({@code unshare -m}) chrooted into a temporary root where the spec's
 * mounts and device nodes are bind-mounted, inside the spec's network namespace if any, with
 * stdout and stderr appended to the console file. The mounts vanish with the namespace.
 */
public final class UnconfinedJailLauncherFake implements JailLauncher {
  private final Path base;
  private final Map<String, Fake> jails = new ConcurrentHashMap<>();

  public UnconfinedJailLauncherFake(Path base) {
    this.base = base;
  }

  /** The fake runs everything as root. */
  @Override
  public int reserveUid(String sandboxId) {
    return 0;
  }

  @Override
  public JailedProcess launch(JailSpec spec) throws JailException {
    Path dir = base.resolve(spec.sandboxId());
    Path root = dir.resolve("root");
    Path console = dir.resolve("console.log");
    try {
      Files.createDirectories(root.resolve("run"));
      Files.createDirectories(root.resolve("tmp"));
      Files.createDirectories(root.resolve("dev"));
      StringBuilder sh = new StringBuilder("set -e\n");
      for (JailSpec.Mount m : spec.mounts()) {
        Path target = root.resolve(m.jailPath().substring(1));
        if (Files.isDirectory(m.hostPath())) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          Files.write(target, new byte[0]);
        }
        sh.append("/usr/bin/mount --bind ").append(q(m.hostPath())).append(' ').append(q(target)).append('\n');
        if (!m.writable()) {
          sh.append("/usr/bin/mount -o remount,bind,ro ").append(q(target)).append('\n');
        }
      }
      // The real jail makes the executable visible inside; do the same when no mount covers it.
      boolean covered = spec.mounts().stream().anyMatch(m -> spec.executable().startsWith(m.hostPath())
          && m.hostPath().toString().equals(m.jailPath()));
      if (!covered) {
        Path target = root.resolve(spec.executable().toString().substring(1));
        Files.createDirectories(target.getParent());
        Files.write(target, new byte[0]);
        sh.append("/usr/bin/mount --bind ").append(q(spec.executable())).append(' ').append(q(target)).append('\n');
      }
      for (String d : spec.devices()) {
        Path target = root.resolve("dev").resolve(d);
        if (!Files.exists(Path.of("/dev", d))) {
          continue; // e.g. /dev/kvm on a host without it: the fake VMMs never open it
        }
        Files.createDirectories(target.getParent());
        Files.write(target, new byte[0]);
        sh.append("/usr/bin/mount --bind ").append(q(Path.of("/dev", d))).append(' ').append(q(target)).append('\n');
      }
      sh.append("cd ").append(q(root)).append('\n');
      sh.append("exec ");
      spec.netns().ifPresent(n -> sh.append("/usr/bin/nsenter --net=").append(q(n)).append(' '));
      sh.append("/usr/sbin/chroot ").append(q(root)).append(' ').append(q(spec.executable()));
      for (String a : spec.argv().subList(1, spec.argv().size())) {
        sh.append(' ').append(q(a));
      }
      sh.append('\n');
      Path script = dir.resolve("start.sh");
      Files.writeString(script, sh.toString());
      List<String> cmd = new ArrayList<>(List.of("/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", script.toString()));
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.environment().clear();
      pb.environment().putAll(spec.env());
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(console.toFile()));
      pb.redirectErrorStream(true);
      pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      Process p = pb.start();
      Fake f = new Fake(spec.sandboxId(), p.toHandle(), dir, root, console, p.onExit().thenApply(Process::exitValue));
      jails.put(spec.sandboxId(), f);
      return f;
    } catch (IOException e) {
      throw new JailException("fake_launch", 0, "fake jail for " + spec.sandboxId() + ": " + e.getMessage(), e);
    }
  }

  private static String q(Object o) {
    return "'" + o.toString().replace("'", "'\\''") + "'";
  }

  @Override
  public Optional<JailedProcess> reattach(String sandboxId, long pid, long startTime) {
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    if (h.isEmpty() || startTime(pid) != startTime) {
      return Optional.empty();
    }
    Path dir = base.resolve(sandboxId);
    return Optional.of(new Fake(sandboxId, h.get(), dir, dir.resolve("root"), dir.resolve("console.log"),
        h.get().onExit().thenApply(x -> -1)));
  }

  @Override
  public void cleanup(String sandboxId) {
    Fake f = jails.remove(sandboxId);
    if (f != null) {
      f.killAll();
      f.onExit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).exceptionally(t -> -1).join();
    }
    io.stockade.supervisor.vmm.support.SandboxFiles.deleteRecursively(base.resolve(sandboxId));
  }

  static long startTime(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[19]); // field 22 overall; the split starts at field 3
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private record Fake(
      String sandboxId, ProcessHandle handle, Path dir, Path rootDir, Path consoleFile,
      CompletableFuture<Integer> onExit) implements JailedProcess {
    @Override
    public long pid() {
      return handle.pid();
    }

    @Override
    public long startTime() {
      return UnconfinedJailLauncherFake.startTime(handle.pid());
    }

    @Override
    public int uid() {
      return 0;
    }

    @Override
    public int gid() {
      return 0;
    }

    @Override
    public void signal(int signal) {
      if (handle.isAlive()) {
        try {
          new ProcessBuilder("kill", "-" + signal, Long.toString(handle.pid())).start().waitFor();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    @Override
    public void killAll() {
      handle.descendants().forEach(ProcessHandle::destroyForcibly);
      handle.destroyForcibly();
    }

    @Override
    public ResourceUsage usage() {
      return ResourceUsage.UNKNOWN;
    }
  }
}
