package io.stockade.supervisor.jail;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.stockade.policy.CpuList;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
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
public final class LinuxJailLauncher implements JailLauncher, AutoCloseable {
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
  private final Optional<StagePool> pool;

  private LinuxJailLauncher(JailConfig config, Path stage, CgroupLayout cgroups, int pooledStages) {
    this.config = config;
    this.stage = stage;
    this.cgroups = cgroups;
    this.uids = new UidAllocator(config.leaseDir(), config.uidBase(), config.uidCount(), config.hostRoot().resolve("proc"));
    this.pool = pooledStages > 0 ? Optional.of(new StagePool(stage, cgroups, config.cgroupPrefix(), pooledStages)) : Optional.empty();
    // Pooled stages exit on their own when the JVM goes (EOF on stdin); this also removes their cgroups.
    pool.ifPresent(p -> Runtime.getRuntime().addShutdownHook(new Thread(p::close, "stockade-stage-pool-close")));
  }

  /** How many exec stages {@link #create(JailConfig)} keeps started ahead of launches. */
  public static final int DEFAULT_POOLED_STAGES = 2;

  /**
   * Discovers the cgroups and makes the exec stage ready (extracting it from the jar if needed),
   * keeping {@link #DEFAULT_POOLED_STAGES} stages started ahead of launches.
   */
  public static LinuxJailLauncher create(JailConfig config) throws JailException {
    return create(config, DEFAULT_POOLED_STAGES);
  }

  /**
   * Same, with {@code pooledStages} exec stages started ahead of time and already placed in their
   * v1 cgroups (0: every launch starts its stage, paying the process spawn and the v1 cgroup
   * migration on its critical path).
   */
  public static LinuxJailLauncher create(JailConfig config, int pooledStages) throws JailException {
    return create(config, pooledStages, CgroupLayout.discover(config.hostRoot()));
  }

  /** Same, on a given cgroup layout (tests: a host without some controller). */
  static LinuxJailLauncher create(JailConfig config, int pooledStages, CgroupLayout layout) throws JailException {
    Path stage = config.execStage().isPresent()
        ? config.execStage().get()
        : NativeStage.extract(config.nativeDir(), NativeStage.EXEC);
    if (!Files.isExecutable(stage)) {
      throw new JailException("exec_stage", Errno.ENOENT, "exec stage " + stage + " is not an executable file: "
          + "install stockade-exec there or leave the setting empty to use the one in the jar");
    }
    return new LinuxJailLauncher(config, stage, layout, pooledStages);
  }

  /** Ends the pooled exec stages and removes their cgroups; running sandboxes are not touched. */
  @Override
  public void close() {
    pool.ifPresent(StagePool::close);
  }

  /**
   * The CPUs a sandbox may be pinned to ({@code JailSpec.Limits.cpus}): the effective CPUs of the
   * supervisor's own cpuset cgroup (v2 cpuset, else v1). Empty when the host has no cpuset
   * controller: a pinned launch is then refused at step {@code cgroup_cpuset}.
   */
  public Optional<CpuList> pinnableCpus() throws JailException {
    return Cpuset.where(cgroups).isPresent() ? Optional.of(Cpuset.available(cgroups).cpus()) : Optional.empty();
  }

  /** Where the hostile probe shipped in the jar is extracted (for the self-test and tests). */
  public static Path probe(JailConfig config) throws JailException {
    return NativeStage.extract(config.nativeDir(), NativeStage.PROBE);
  }

  @Override
  public JailedProcess launch(JailSpec spec) throws JailException {
    LaunchTrace.mark(spec.sandboxId(), "start");
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
    // Refused before a uid, a jail directory or a pooled stage is spent on it (create checks again).
    Cpuset.check(cgroups, spec.limits().cpus());
    LaunchTrace.mark(spec.sandboxId(), "validated");
    int uid = reserveUid(spec.sandboxId());
    LaunchTrace.mark(spec.sandboxId(), "uid");
    Process process = null;
    Optional<StagePool.Pooled> pooled = Optional.empty();
    try {
      JailDirectory dir = JailDirectory.create(config.jailsDir(), plan, uid, uid);
      LaunchTrace.mark(spec.sandboxId(), "jail_dir");
      JailSpec.Limits limits = spec.limits();
      pooled = pool.flatMap(StagePool::take);
      SandboxCgroup.Io io = limits.limitsIo()
          ? new SandboxCgroup.Io(limits.ioReadBytesPerSec(), limits.ioWriteBytesPerSec(), ioDevices(plan))
          : SandboxCgroup.Io.NONE;
      cgroup.create(cgroups, pooled.map(StagePool.Pooled::v1Cgroups).orElse(List.of()), limits.memoryBytes(), limits.pids(),
          limits.cpuMillis(), io, limits.cpus());
      LaunchTrace.mark(spec.sandboxId(), "cgroups");
      writeFile(dir.seccomp(), SeccompCompiler.compiled(spec.seccompProfile()));
      writeFile(dir.state(), JSON.writeValueAsBytes(Map.of("sandboxId", spec.sandboxId(), "uid", uid, "gid", uid)));
      // A pooled stage is in the v1 cgroups already (now renamed to the sandbox's, with limits).
      List<String> command = commandLine(plan, dir, cgroup, uid, pooled.isEmpty());
      LaunchTrace.mark(spec.sandboxId(), "files_cmdline");
      if (pooled.isPresent()) {
        try {
          StagePool.send(pooled.get(), command);
          process = pooled.get().process();
        } catch (IOException e) {
          // The pooled stage died while it waited (killed by hand, OOM): start one the ordinary
          // way, which joins the (already renamed, limited) v1 cgroups itself.
          LOG.warn("sandbox {}: pooled exec stage gone ({}); starting one", spec.sandboxId(), e.toString());
          StagePool.discard(pooled.get());
          command = commandLine(plan, dir, cgroup, uid, true);
        }
      }
      if (process == null) {
        process = startStage(command);
      }
      LaunchTrace.mark(spec.sandboxId(), "spawned");
      StageReport report = awaitStage(process, spec.sandboxId());
      if (pooled.isPresent() && process == pooled.get().process() && !report.failed() && report.childPid() == 0) {
        // The pooled stage was dying when it was taken (killed while it waited): its pipe still
        // accepted the command, then it exited without a word. Start one the ordinary way, as when
        // send() fails; it joins the (already renamed, limited) v1 cgroups itself.
        LOG.warn("sandbox {}: pooled exec stage exited ({}) before reading its command; starting one",
            spec.sandboxId(), exitOf(process));
        StagePool.discard(pooled.get());
        process = startStage(commandLine(plan, dir, cgroup, uid, true));
        report = awaitStage(process, spec.sandboxId());
      }
      LaunchTrace.mark(spec.sandboxId(), "stage_eof");
      if (report.failed()) {
        throw report.toException(spec.sandboxId());
      }
      if (report.childPid() == 0) {
        throw new JailException("exec_stage", 0, "sandbox " + spec.sandboxId() + ": exec stage exited ("
            + exitOf(process) + ") before starting the workload: run " + stage + " by hand to see why");
      }
      long start = ProcStat.startTime(process.pid()).orElse(0);
      LaunchTrace.mark(spec.sandboxId(), "done");
      return new LinuxJailedProcess(spec.sandboxId(), process.pid(), start, report.childPid(), uid, dir, cgroup, Optional.of(process));
    } catch (JailException | IOException | RuntimeException e) {
      if (process != null) {
        process.destroyForcibly();
      } else {
        pooled.ifPresent(StagePool::discard);
      }
      cleanup(spec.sandboxId());
      if (e instanceof JailException) {
        throw (JailException) e;
      }
      throw new JailException("prepare", e instanceof IOException ? Errno.of((IOException) e) : 0,
          "sandbox " + spec.sandboxId() + ": " + e, e);
    } finally {
      if (pooled.isPresent()) {
        pool.get().refill();
      }
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

  List<String> commandLine(JailPlan plan, JailDirectory dir, SandboxCgroup cgroup, int uid, boolean joinV1) {
    JailSpec spec = plan.spec();
    JailSpec.Limits limits = spec.limits();
    ExecStageCommandLine.Builder b = ExecStageCommandLine.builder(stage);
    if (joinV1) {
      cgroup.v1Dirs().forEach(b::cgroup);
    }
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

  private Process startStage(List<String> command) throws JailException {
    try {
      ProcessBuilder pb = new ProcessBuilder(command)
          .redirectInput(new File("/dev/null"))
          .redirectError(ProcessBuilder.Redirect.DISCARD);
      LaunchTrace.file().ifPresent(f -> pb.environment().put(LaunchTrace.STAGE_ENV, f.toString()));
      return pb.start();
    } catch (IOException e) {
      throw new JailException("exec_stage", Errno.of(e), "start " + stage + ": " + e.getMessage());
    }
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

  /**
   * The disks an I/O limit applies to: those holding the jail directory (the workload's root,
   * console and state) and every bind-mount source, read-only ones included since reads are
   * limited too. Devices the workload reaches another way (a block device node) are not covered.
   */
  private Set<String> ioDevices(JailPlan plan) throws JailException {
    List<Path> paths = new ArrayList<>();
    paths.add(config.jailsDir());
    plan.mounts().forEach(m -> paths.add(m.hostPath()));
    return BlockDevices.holding(paths, config.hostRoot().resolve("sys/dev/block"));
  }

  private String cgroupName(String sandboxId) {
    return config.cgroupPrefix() + sandboxId;
  }

  private static void writeFile(Path file, byte[] bytes) throws IOException {
    Files.write(file, bytes);
  }
}
