package io.stockade.supervisor.jail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A jailed workload: either launched by this supervisor (then {@link Process} gives the exit
 * status) or reattached after a restart (then the exit status comes from the file the exec
 * stage writes, and exit is noticed by polling, as for any process that is not our child).
 */
final class LinuxJailedProcess implements JailedProcess {
  /** What a reattached workload reports if its stage was killed before writing its status. */
  static final int KILLED_STATUS = 128 + 9;

  private final String sandboxId;
  private final long pid;
  private final long startTime;
  private final long workloadPid;
  private final int uid;
  private final JailDirectory dir;
  private final SandboxCgroup cgroup;
  private final CompletableFuture<Integer> onExit;
  private int pidfd;

  LinuxJailedProcess(String sandboxId, long pid, long startTime, long workloadPid, int uid, JailDirectory dir,
      SandboxCgroup cgroup, Optional<Process> process) {
    this.sandboxId = sandboxId;
    this.pid = pid;
    this.startTime = startTime;
    this.workloadPid = workloadPid;
    this.uid = uid;
    this.dir = dir;
    this.cgroup = cgroup;
    int fd = LibC.pidfdOpen(pid);
    // The pid may have been reused before pidfd_open: for our own child, it was not if Java has
    // not reaped it yet (checked after the open); for a reattached process, the start time says.
    boolean same = process.isPresent() ? process.get().isAlive() : ProcStat.startTime(pid).orElse(-1) == startTime;
    if (fd >= 0 && !same) {
      LibC.close(fd);
      fd = -LibC.ESRCH;
    }
    this.pidfd = fd;
    boolean alive = fd >= 0;
    CompletableFuture<Integer> exit = process.isPresent()
        ? process.get().onExit().thenApply(Process::exitValue)
        : ProcessHandle.of(pid)
            .filter(h -> alive)
            .map(h -> h.onExit().thenApply(h2 -> readExitStatus()))
            .orElseGet(() -> CompletableFuture.completedFuture(readExitStatus()));
    this.onExit = exit.whenComplete((v, t) -> closePidfd());
  }

  private int readExitStatus() {
    try {
      return Integer.parseInt(Files.readString(dir.exitStatus()).trim());
    } catch (IOException | NumberFormatException e) {
      return KILLED_STATUS;
    }
  }

  private synchronized void closePidfd() {
    if (pidfd >= 0) {
      LibC.close(pidfd);
      pidfd = -1;
    }
  }

  @Override
  public String sandboxId() {
    return sandboxId;
  }

  @Override
  public long pid() {
    return pid;
  }

  /** Host pid of the workload itself (pid 1 of its pid namespace), 0 if unknown (reattached). */
  long workloadPid() {
    return workloadPid;
  }

  @Override
  public long startTime() {
    return startTime;
  }

  @Override
  public int uid() {
    return uid;
  }

  @Override
  public int gid() {
    return uid;
  }

  @Override
  public Path rootDir() {
    return dir.root();
  }

  @Override
  public Path consoleFile() {
    return dir.console();
  }

  @Override
  public CompletableFuture<Integer> onExit() {
    return onExit;
  }

  @Override
  public synchronized void signal(int signal) {
    if (pidfd >= 0) {
      LibC.pidfdSendSignal(pidfd, signal); // ESRCH: it has exited; nothing else can be hit
    }
  }

  @Override
  public void killAll() {
    cgroup.killAll();
  }

  @Override
  public ResourceUsage usage() {
    return cgroup.usage();
  }

  @Override
  public String toString() {
    return "JailedProcess{" + sandboxId + " pid=" + pid + " uid=" + uid + "}";
  }
}
