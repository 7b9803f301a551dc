package io.stockade.supervisor.jail;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/** A workload running in its jail (or one that has exited and not yet been cleaned up). */
public interface JailedProcess {

  String sandboxId();

  /** Host pid of the process the supervisor tracks (the exec stage's init for the pid namespace). */
  long pid();

  /** Start time of {@link #pid()} in clock ticks since boot (/proc/PID/stat field 22). */
  long startTime();

  /** The uid/gid the workload runs as, allocated for this sandbox. */
  int uid();

  int gid();

  /** Host path of the jail's root; the workload sees it as "/". Its run/ holds API sockets. */
  Path rootDir();

  /**
   * Host path of the file the workload's stdout and stderr are written to. It outlives the
   * supervisor, so a restarted supervisor can keep reading the console of a reattached workload.
   */
  Path consoleFile();

  /** Completes with the exit status (0..255, or 128+signal) when the workload's process exits. */
  CompletableFuture<Integer> onExit();

  /** Sends a signal to the tracked process without hitting a reused pid (pidfd where possible). */
  void signal(int signal);

  /** Kills every process of the sandbox for certain (cgroup.kill, or its v1 equivalent). */
  void killAll();

  /** CPU and memory use read from the sandbox's cgroup. */
  ResourceUsage usage();
}
