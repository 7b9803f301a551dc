package io.stockade.supervisor.testing;

import io.stockade.supervisor.jail.JailedProcess;
import io.stockade.supervisor.jail.ResourceUsage;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmDriver;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.VmmFeature;
import io.stockade.supervisor.vmm.VmmKind;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Test-only stand-in for the real process driver until the jail module is merged: runs the
 * command as an unprivileged uid with {@code setpriv --reuid=U --regid=G --clear-groups}, with NO
 * jail (no namespaces, no seccomp, no cgroup). Never runs anything as root. It has real pids,
 * real console files, real signals and real reattach (pid and start time from /proc), which is
 * what the daemon's lifecycle, API and restart tests need.
 */
public final class UnconfinedProcessDriverFake implements VmmDriver {
  private final int uid;
  private final int gid;

  public UnconfinedProcessDriverFake(int uid, int gid) {
    if (uid == 0 || gid == 0) {
      throw new IllegalArgumentException("the fake driver never runs workloads as root");
    }
    this.uid = uid;
    this.gid = gid;
  }

  @Override
  public VmmKind kind() {
    return VmmKind.PROCESS;
  }

  @Override
  public Set<VmmFeature> features() {
    return Set.of(VmmFeature.GRACEFUL_SHUTDOWN, VmmFeature.PAUSE);
  }

  @Override
  public Optional<String> version() {
    return Optional.of("fake");
  }

  @Override
  public VmInstance launch(LaunchSpec spec) throws VmmException {
    Path console = spec.sandboxDir().resolve("console.log");
    List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--"));
    cmd.addAll(spec.command());
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(new File("/")).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(console.toFile()));
    pb.environment().clear();
    pb.environment().put("PATH", "/usr/bin:/bin");
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    try {
      Process p = pb.start();
      long start = startTime(p.pid());
      CompletableFuture<Integer> exit = p.onExit().thenApply(Process::exitValue);
      return new Vm(spec.sandboxId(), new Proc(spec.sandboxId(), p.toHandle(), start, uid, gid, console, exit));
    } catch (IOException e) {
      throw new VmmException("cannot start " + spec.command() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<VmInstance> reattach(String sandboxId, Map<String, String> state) {
    try {
      long pid = Long.parseLong(state.get("pid"));
      long start = Long.parseLong(state.get("startTime"));
      Optional<ProcessHandle> h = ProcessHandle.of(pid);
      if (h.isEmpty() || startTime(pid) != start) {
        return Optional.empty();
      }
      // Not our child any more: the exit status is unknown, only the exit itself.
      CompletableFuture<Integer> exit = h.get().onExit().thenApply(x -> -1);
      return Optional.of(new Vm(sandboxId, new Proc(sandboxId, h.get(), start, uid, gid, Path.of(state.get("console")), exit)));
    } catch (RuntimeException | IOException e) {
      return Optional.empty();
    }
  }

  @Override
  public void cleanup(String sandboxId) {}

  static long startTime(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[19]); // field 22 overall; fields after ")" start at 3
  }

  private record Vm(String sandboxId, Proc proc) implements VmInstance {
    @Override
    public VmmKind kind() {
      return VmmKind.PROCESS;
    }

    @Override
    public JailedProcess process() {
      return proc;
    }

    @Override
    public void requestShutdown() {
      proc.signal(15);
    }

    @Override
    public void pause() {
      proc.signal(19);
    }

    @Override
    public void resume() {
      proc.signal(18);
    }

    @Override
    public void snapshot(Path directory) throws VmmException {
      throw VmmException.unsupported(VmmKind.PROCESS, "snapshot");
    }

    @Override
    public CompletableFuture<Integer> onExit() {
      return proc.exit;
    }

    @Override
    public boolean guestRequestedShutdown() {
      return false;
    }

    @Override
    public Map<String, String> persistentState() {
      return Map.of("pid", Long.toString(proc.pid()), "startTime", Long.toString(proc.startTime()),
          "console", proc.consoleFile().toString());
    }
  }

  private record Proc(String sandboxId, ProcessHandle handle, long startTime, int uid, int gid, Path consoleFile,
      CompletableFuture<Integer> exit) implements JailedProcess {
    @Override
    public long pid() {
      return handle.pid();
    }

    @Override
    public Path rootDir() {
      return Path.of("/");
    }

    @Override
    public CompletableFuture<Integer> onExit() {
      return exit;
    }

    private boolean same() {
      try {
        return handle.isAlive() && UnconfinedProcessDriverFake.startTime(handle.pid()) == startTime;
      } catch (IOException e) {
        return false;
      }
    }

    @Override
    public void signal(int signal) {
      if (!same()) {
        return;
      }
      try {
        new ProcessBuilder("kill", "-" + signal, Long.toString(handle.pid())).start().waitFor();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void killAll() {
      if (same()) {
        handle.descendants().forEach(ProcessHandle::destroyForcibly);
        handle.destroyForcibly();
        signal(18); // a stopped process dies of SIGKILL only once continued on some kernels
      }
    }

    @Override
    public ResourceUsage usage() {
      try {
        String stat = Files.readString(Path.of("/proc/" + handle.pid() + "/stat"), StandardCharsets.US_ASCII);
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        long rssPages = Long.parseLong(f[21]);
        return new ResourceUsage(ticks * 10_000, rssPages * 4096, 1);
      } catch (IOException | RuntimeException e) {
        return ResourceUsage.UNKNOWN;
      }
    }
  }
}
