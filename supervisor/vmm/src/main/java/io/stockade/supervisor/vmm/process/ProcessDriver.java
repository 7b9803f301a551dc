package io.stockade.supervisor.vmm.process;

import io.stockade.supervisor.jail.JailException;
import io.stockade.supervisor.jail.JailLauncher;
import io.stockade.supervisor.jail.JailSpec;
import io.stockade.supervisor.jail.SystemMounts;
import io.stockade.supervisor.jail.JailedProcess;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmDriver;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.VmmFeature;
import io.stockade.supervisor.vmm.VmmKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Runs {@code LaunchSpec.command} directly in a jail, no VM: the host's program directories are
 * bound read-only so {@code /bin/sh} and its libraries are there; the seccomp profile is
 * "process". Ready means the exec stage reported a successful exec.
 */
public final class ProcessDriver implements VmmDriver {
  private static final List<String> SEARCH_PATH = List.of("/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin");
  private static final Map<String, String> ENV =
      Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "HOME", "/tmp", "LANG", "C.UTF-8");
  private final JailLauncher jail;

  private ProcessDriver(JailLauncher jail) {
    this.jail = jail;
  }

  public static ProcessDriver create(JailLauncher jail) {
    return new ProcessDriver(jail);
  }

  @Override
  public VmmKind kind() {
    return VmmKind.PROCESS;
  }

  @Override
  public Set<VmmFeature> features() {
    return EnumSet.of(VmmFeature.GRACEFUL_SHUTDOWN);
  }

  /** The process kind has no VMM binary; its "version" is the host kernel's. */
  @Override
  public Optional<String> version() {
    return Optional.of(System.getProperty("os.version"));
  }

  @Override
  public VmInstance launch(LaunchSpec spec) throws VmmException {
    if (spec.command().isEmpty()) {
      throw new VmmException("launch " + spec.sandboxId() + ": a process sandbox needs a command");
    }
    if (spec.restoreFrom().isPresent()) {
      throw VmmException.unsupported(VmmKind.PROCESS, "restore from a snapshot");
    }
    Path executable = resolve(spec.command().get(0), spec.sandboxId());
    long memoryBytes = Math.max(16, spec.memoryMiB()) * 1024 * 1024;
    JailSpec.Limits limits = new JailSpec.Limits(spec.vcpus() * 1000L, memoryBytes, spec.pidsOr(256), spec.openFilesOr(1024), 0)
        .withIo(spec.ioReadBytesPerSec(), spec.ioWriteBytesPerSec()).withCpus(spec.cpus());
    List<JailSpec.Mount> mounts = new ArrayList<>(SystemMounts.readOnly());
    if (spec.network().isPresent()) {
      mounts.addAll(NetworkFiles.write(spec.sandboxDir(), spec.network().get()));
    }
    JailSpec js = new JailSpec(
        spec.sandboxId(), executable, spec.command(), ENV, mounts, List.of("null", "zero", "urandom"),
        spec.network().map(n -> n.netnsPath()), limits, "process", true, "/tmp");
    try {
      return new ProcessInstance(jail.launch(js));
    } catch (JailException e) {
      jail.cleanup(spec.sandboxId());
      throw new VmmException(
          "launch " + spec.sandboxId() + ": jail step " + e.step() + " failed: " + e.getMessage(), e);
    }
  }

  /** The host path of argv[0]: absolute as given, otherwise looked up in the system directories. */
  private static Path resolve(String program, String sandboxId) throws VmmException {
    if (program.startsWith("/")) {
      Path p = Path.of(program);
      if (Files.isRegularFile(p) && Files.isExecutable(p) && SystemMounts.readOnly().stream()
          .anyMatch(m -> p.startsWith(m.jailPath()))) {
        return p;
      }
      throw new VmmException(
          "launch " + sandboxId + ": " + program + " is not an executable file under "
              + SystemMounts.readOnly().stream().map(JailSpec.Mount::jailPath).toList()
              + " (the directories a process sandbox sees)");
    }
    if (program.contains("/")) {
      throw new VmmException("launch " + sandboxId + ": relative program path '" + program + "': give a name or an absolute path");
    }
    for (String dir : SEARCH_PATH) {
      Path p = Path.of(dir, program);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return p;
      }
    }
    throw new VmmException("launch " + sandboxId + ": program '" + program + "' not found in " + SEARCH_PATH);
  }

  @Override
  public Optional<VmInstance> reattach(String sandboxId, Map<String, String> state) {
    try {
      return jail.reattach(sandboxId, Long.parseLong(state.get("pid")), Long.parseLong(state.get("startTime")))
          .map(ProcessInstance::new);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  @Override
  public void cleanup(String sandboxId) {
    jail.cleanup(sandboxId);
  }

  private static final class ProcessInstance implements VmInstance {
    private static final int SIGTERM = 15;
    private final JailedProcess process;

    ProcessInstance(JailedProcess process) {
      this.process = process;
    }

    @Override
    public String sandboxId() {
      return process.sandboxId();
    }

    @Override
    public VmmKind kind() {
      return VmmKind.PROCESS;
    }

    @Override
    public JailedProcess process() {
      return process;
    }

    @Override
    public void requestShutdown() {
      process.signal(SIGTERM);
    }

    @Override
    public void pause() throws VmmException {
      throw VmmException.unsupported(VmmKind.PROCESS, "pause");
    }

    @Override
    public void resume() throws VmmException {
      throw VmmException.unsupported(VmmKind.PROCESS, "resume");
    }

    @Override
    public void snapshot(Path directory) throws VmmException {
      throw VmmException.unsupported(VmmKind.PROCESS, "snapshot");
    }

    @Override
    public java.util.concurrent.CompletableFuture<Integer> onExit() {
      return process.onExit();
    }

    /** A program "powers off" by exiting on its own, with a status below 128 (no signal). */
    @Override
    public boolean guestRequestedShutdown() {
      Integer status = process.onExit().getNow(null);
      return status != null && status >= 0 && status < 128;
    }

    @Override
    public Map<String, String> persistentState() {
      return Map.of("pid", Long.toString(process.pid()), "startTime", Long.toString(process.startTime()));
    }
  }
}
