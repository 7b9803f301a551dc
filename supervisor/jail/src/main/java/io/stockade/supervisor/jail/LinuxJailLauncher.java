package io.stockade.supervisor.jail;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Launches workloads in jails on Linux. Java validates the spec and prepares the jail directory,
 * the cgroups, the uid lease and the seccomp program; the native exec stage applies all of it
 * and execs the workload (see stockade-exec.c for the order and docs/jail.md for why).
 */
public final class LinuxJailLauncher implements JailLauncher {
  private static final Logger LOG = LoggerFactory.getLogger(LinuxJailLauncher.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long STAGE_TIMEOUT_SECONDS = 30;
  private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "stockade-stage-watchdog");
    t.setDaemon(true);
    return t;
  });

  private final JailConfig config;
  private final Path stage;
  private final CgroupLayout cgroups;
  private final UidAllocator uids;

  private LinuxJailLauncher(JailConfig config, Path stage, CgroupLayout cgroups) {
    this.config = config;
    this.stage = stage;
    this.cgroups = cgroups;
    this.uids = new UidAllocator(config.leaseDir(), config.uidBase(), config.uidCount(), config.hostRoot().resolve("proc"));
  }

  /** Discovers the cgroups and makes the exec stage ready (extracting it from the jar if needed). */
  public static LinuxJailLauncher create(JailConfig config) throws JailException {
    Path stage = config.execStage().isPresent()
        ? config.execStage().get()
        : NativeStage.extract(config.nativeDir(), NativeStage.EXEC);
    if (!Files.isExecutable(stage)) {
      throw new JailException("exec_stage", Errno.ENOENT, "exec stage " + stage + " is not an executable file: "
          + "install stockade-exec there or leave the setting empty to use the one in the jar");
    }
    return new LinuxJailLauncher(config, stage, CgroupLayout.discover(config.hostRoot()));
  }

  /** Where the hostile probe shipped in the jar is extracted (for the self-test and tests). */
  public static Path probe(JailConfig config) throws JailException {
    return NativeStage.extract(config.nativeDir(), NativeStage.PROBE);
  }

  @Override
  public JailedProcess launch(JailSpec spec) throws JailException {
    JailPlan plan = JailPlan.of(spec);
    SandboxCgroup cgroup = SandboxCgroup.of(cgroups, cgroupName(spec.sandboxId()));
    Path existing = config.jailsDir().resolve(spec.sandboxId());
    for (Path p : cgroup.dirs()) {
      existing = Files.exists(existing) ? existing : p;
    }
    if (Files.exists(existing)) {
      // Never clean up here: that would tear down the sandbox that already has this id.
      throw new JailException("jail_exists", Errno.EEXIST, "sandbox " + spec.sandboxId() + " already has "
          + existing + ": destroy it (cleanup) or use another id");
    }
    int uid = reserveUid(spec.sandboxId());
    Process process = null;
    try {
      JailDirectory dir = JailDirectory.create(config.jailsDir(), plan, uid, uid);
      JailSpec.Limits limits = spec.limits();
      cgroup.create(cgroups, limits.memoryBytes(), limits.pids(), limits.cpuMillis());
      writeFile(dir.seccomp(), SeccompCompiler.compiled(spec.seccompProfile()));
      writeFile(dir.state(), JSON.writeValueAsBytes(Map.of("sandboxId", spec.sandboxId(), "uid", uid, "gid", uid)));
      List<String> command = commandLine(plan, dir, cgroup, uid);
      try {
        process = new ProcessBuilder(command)
            .redirectInput(new File("/dev/null"))
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
      } catch (IOException e) {
        throw new JailException("exec_stage", Errno.of(e), "start " + stage + ": " + e.getMessage());
      }
      StageReport report = awaitStage(process, spec.sandboxId());
      if (report.failed()) {
        throw report.toException(spec.sandboxId());
      }
      if (report.childPid() == 0) {
        throw new JailException("exec_stage", 0, "sandbox " + spec.sandboxId() + ": exec stage exited ("
            + exitOf(process) + ") before starting the workload: run " + stage + " by hand to see why");
      }
      long start = ProcStat.startTime(process.pid()).orElse(0);
      return new LinuxJailedProcess(spec.sandboxId(), process.pid(), start, report.childPid(), uid, dir, cgroup, Optional.of(process));
    } catch (JailException | IOException | RuntimeException e) {
      if (process != null) {
        process.destroyForcibly();
      }
      cleanup(spec.sandboxId());
      if (e instanceof JailException) {
        throw (JailException) e;
      }
      throw new JailException("prepare", e instanceof IOException ? Errno.of((IOException) e) : 0,
          "sandbox " + spec.sandboxId() + ": " + e, e);
    }
  }

  @Override
  public int reserveUid(String sandboxId) throws JailException {
    if (!sandboxId.matches("[a-z0-9-]{1,32}")) {
      throw new JailException("validate", Errno.EINVAL, "sandboxId \"" + sandboxId + "\" is not valid: use [a-z0-9-]{1,32}");
    }
    synchronized (uids) {
      OptionalInt leased = uids.find(sandboxId);
      return leased.isPresent() ? leased.getAsInt() : uids.allocate(sandboxId);
    }
  }

  List<String> commandLine(JailPlan plan, JailDirectory dir, SandboxCgroup cgroup, int uid) {
    JailSpec spec = plan.spec();
    JailSpec.Limits limits = spec.limits();
    ExecStageCommandLine.Builder b = ExecStageCommandLine.builder(stage);
    cgroup.v1Dirs().forEach(b::cgroup);
    cgroup.v2().ifPresent(b::cgroupFork);
    b.netns(spec.netns()).root(dir.root()).jailDir(dir.dir()).consoleMax(config.consoleMaxBytes())
        .hostname(spec.sandboxId());
    b.bind(dir.root().resolve("run"), "/run", ExecStageCommandLine.Access.READ_WRITE);
    for (JailPlan.PlannedMount m : plan.mounts()) {
      b.bind(m.hostPath(), m.jailPath(), m.writable() ? ExecStageCommandLine.Access.READ_WRITE : ExecStageCommandLine.Access.READ_ONLY);
    }
    for (JailPlan.DeviceNode d : plan.devices()) {
      b.device(d.worldAccessible()
          ? new ExecStageCommandLine.Device(d.name(), d.type(), d.major(), d.minor(), 0666, 0, 0)
          : new ExecStageCommandLine.Device(d.name(), d.type(), d.major(), d.minor(), 0600, uid, uid));
    }
    b.tmpfsSize(config.tmpBytes())
        .rlimit(ExecStageCommandLine.Rlimit.NOFILE, limits.openFiles())
        .rlimit(ExecStageCommandLine.Rlimit.FSIZE, limits.fileSizeBytes() == 0 ? -1 : limits.fileSizeBytes())
        .rlimit(ExecStageCommandLine.Rlimit.CORE, 0)
        .rlimit(ExecStageCommandLine.Rlimit.NPROC, limits.pids())
        .ids(uid, uid)
        .userNamespace(spec.userNamespace())
        .seccomp(dir.seccomp())
        .cwd(spec.workDir())
        .env(spec.env())
        .exec(plan.jailExecutable(), spec.argv());
    return b.build();
  }

  private StageReport awaitStage(Process process, String sandboxId) throws JailException {
    // A stage stuck in the kernel (e.g. a hung NFS bind source) must not hang the supervisor.
    ScheduledFuture<?> watchdog = WATCHDOG.schedule(process::destroyForcibly, STAGE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    try {
      return StageReport.read(process.getInputStream());
    } catch (IOException e) {
      throw new JailException("exec_stage", Errno.of(e), "read the status pipe of sandbox " + sandboxId + ": " + e);
    } finally {
      watchdog.cancel(false);
    }
  }

  private static String exitOf(Process p) {
    try {
      return p.waitFor(1, TimeUnit.SECONDS) ? "status " + p.exitValue() : "still running";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  @Override
  public Optional<JailedProcess> reattach(String sandboxId, long pid, long startTime) {
    OptionalLong actual = ProcStat.startTime(pid);
    if (actual.isEmpty() || actual.getAsLong() != startTime) {
      return Optional.empty();
    }
    JailDirectory dir = new JailDirectory(config.jailsDir().resolve(sandboxId));
    SandboxCgroup cgroup = SandboxCgroup.of(cgroups, cgroupName(sandboxId));
    try {
      // The pid must be this sandbox's exec stage: its command line names this jail directory.
      List<String> cmdline = List.of(Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).split("\0"));
      int at = cmdline.indexOf("--jail-dir");
      if (at < 0 || at + 1 >= cmdline.size() || !cmdline.get(at + 1).equals(dir.dir().toString())) {
        return Optional.empty();
      }
      int uid = JSON.readTree(dir.state().toFile()).get("uid").asInt();
      return Optional.of(new LinuxJailedProcess(sandboxId, pid, startTime, 0, uid, dir, cgroup, Optional.empty()));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  @Override
  public void cleanup(String sandboxId) {
    if (!sandboxId.matches("[a-z0-9-]{1,32}")) {
      LOG.warn("cleanup: \"{}\" is not a sandbox id; nothing removed", sandboxId);
      return;
    }
    SandboxCgroup cgroup = SandboxCgroup.of(cgroups, cgroupName(sandboxId));
    cgroup.killAll();
    boolean empty = cgroup.awaitEmpty(5_000);
    List<String> left = cgroup.remove();
    boolean dirGone = true;
    try {
      new JailDirectory(config.jailsDir().resolve(sandboxId)).delete();
    } catch (JailException e) {
      dirGone = false;
      LOG.warn("cleanup of sandbox {}: {}", sandboxId, e.getMessage());
    }
    if (!empty || !left.isEmpty() || !dirGone) {
      // Keeping the lease keeps the uid out of use while anything of it may remain.
      LOG.warn("cleanup of sandbox {} incomplete (processes left: {}, cgroups left: {}); its uid stays leased",
          sandboxId, !empty, left);
      return;
    }
    OptionalInt uid = uids.find(sandboxId);
    if (uid.isPresent()) {
      try {
        uids.release(uid.getAsInt());
      } catch (JailException e) {
        LOG.warn("cleanup of sandbox {}: {}", sandboxId, e.getMessage());
      }
    }
  }

  private String cgroupName(String sandboxId) {
    return config.cgroupPrefix() + sandboxId;
  }

  private static void writeFile(Path file, byte[] bytes) throws IOException {
    Files.write(file, bytes);
  }
}
