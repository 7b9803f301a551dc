package io.stockade.supervisor.jail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exec stages started ahead of time and already placed in their v1 cgroups, so that a launch
 * pays neither the process spawn from the JVM nor the v1 migration (which waits for an RCU grace
 * period: 10-20 ms on this kind of host). A pooled stage sits in empty, limitless cgroups named
 * {@code <prefix>pool_<jvm pid>_<n>} (never a sandbox id: those have no '_') and holds nothing of
 * any sandbox; the launcher renames its cgroups to the sandbox's, writes the limits and then sends
 * the command line. The pool is refilled on a background thread after each launch.
 */
final class StagePool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StagePool.class);

  /** A started stage waiting for its command line, and the v1 cgroups it is in. */
  record Pooled(Process process, List<Path> v1Cgroups) {}

  private final Path stage;
  private final CgroupLayout layout;
  private final String namePrefix;
  private final int size;
  private final ConcurrentLinkedQueue<Pooled> ready = new ConcurrentLinkedQueue<>();
  /**
   * JVM-wide: several launchers (and so several pools) may live in one process, and the pool's
   * cgroup names carry only the pid, so a per-pool counter made two pools collide on one name.
   */
  private static final AtomicLong SEQ = new AtomicLong();
  private final ExecutorService filler;
  private volatile boolean closed;

  StagePool(Path stage, CgroupLayout layout, String cgroupPrefix, int size) {
    this.stage = stage;
    this.layout = layout;
    this.namePrefix = cgroupPrefix + "pool_";
    this.size = size;
    this.filler = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "stockade-stage-pool");
      t.setDaemon(true);
      return t;
    });
    sweepStale();
    refill();
  }

  /** A ready stage, or empty (the launch then starts one itself). The caller calls {@link #refill} after its launch. */
  Optional<Pooled> take() {
    Pooled p;
    while ((p = ready.poll()) != null && !p.process().isAlive()) {
      discard(p);
    }
    return Optional.ofNullable(p);
  }

  /** Sends a taken stage its command line: it re-executes itself with it. */
  static void send(Pooled p, List<String> command) throws IOException {
    StringBuilder b = new StringBuilder();
    for (String a : command) {
      b.append(a).append('\0');
    }
    try (OutputStream out = p.process().getOutputStream()) {
      out.write(b.toString().getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Kills a stage that will not be used and removes whichever of its pool cgroups still exist. */
  static void discard(Pooled p) {
    p.process().destroyForcibly();
    try {
      p.process().waitFor(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    removeDirs(p.v1Cgroups());
  }

  /**
   * Starts stages until the pool is full, on the pool's thread. Called after a launch, not during
   * it: a v1 migration holds cgroup_mutex while it waits for an RCU grace period, and a launch's
   * cgroup rename and CLONE_INTO_CGROUP fork need that mutex (measured: a refill overlapping the
   * launch put 3 ms median, 11 ms p90 on the fork). Refilling all slots in one go also lets only
   * the first migration wait for a grace period (rcu_sync stays passed for the ones right after).
   */
  void refill() {
    if (!closed) {
      filler.execute(this::fill);
    }
  }

  private void fill() {
    while (!closed && ready.size() < size) {
      try {
        Pooled p = start();
        if (closed) {
          discard(p);
          return;
        }
        ready.add(p);
      } catch (IOException | RuntimeException e) {
        LOG.warn("exec stage pool: could not start a stage ({}); launches start their own", e.toString());
        return;
      }
    }
  }

  private Pooled start() throws IOException {
    SandboxCgroup cgroup = SandboxCgroup.of(layout, namePrefix + ProcessHandle.current().pid() + "_" + SEQ.incrementAndGet());
    List<Path> dirs = cgroup.v1Dirs();
    List<String> command = new ArrayList<>(List.of(stage.toString(), "--pooled"));
    List<Path> created = new ArrayList<>();
    Process process = null;
    try {
      for (Path d : dirs) {
        Files.createDirectory(d);
        created.add(d); // only what this call made is ever removed on failure
        if (cgroup.cpusetV1().equals(Optional.of(d))) {
          // A v1 cpuset cgroup takes no task until it has CPUs and memory nodes: the parent's,
          // so the stage fits any sandbox; a pinned launch narrows them after the rename.
          prepareCpuset(d);
        }
        command.add("--cgroup");
        command.add(d.toString());
      }
      ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
      LaunchTrace.file().ifPresent(f -> pb.environment().put(LaunchTrace.STAGE_ENV, f.toString()));
      process = pb.start();
      String line = readLine(process.getInputStream());
      if (!line.equals("ready")) {
        throw new IOException("pooled exec stage said \"" + line + "\" instead of ready");
      }
      return new Pooled(process, dirs);
    } catch (IOException | RuntimeException e) {
      if (process != null) {
        discard(new Pooled(process, created));
      } else {
        removeDirs(created);
      }
      throw e;
    }
  }

  private static void prepareCpuset(Path dir) throws IOException {
    try {
      Cpuset.prepareV1(dir);
    } catch (JailException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** One line, byte by byte: the rest of the stream is the status pipe, read later. */
  private static String readLine(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int c; (c = in.read()) != -1 && c != '\n'; ) {
      b.append((char) c);
    }
    return b.toString();
  }

  /** Removes pool cgroups left by a supervisor (JVM) that is gone. */
  private void sweepStale() {
    for (Path parent : SandboxCgroup.of(layout, "x").v1Dirs().stream().map(Path::getParent).toList()) {
      try (DirectoryStream<Path> s = Files.newDirectoryStream(parent, namePrefix + "*")) {
        for (Path d : s) {
          String rest = d.getFileName().toString().substring(namePrefix.length());
          int cut = rest.indexOf('_');
          long pid = cut > 0 && rest.substring(0, cut).matches("[0-9]{1,10}") ? Long.parseLong(rest.substring(0, cut)) : -1;
          if (pid > 0 && ProcessHandle.of(pid).isEmpty()) {
            removeDirs(List.of(d));
          }
        }
      } catch (IOException e) {
        LOG.debug("exec stage pool: cannot list {}: {}", parent, e.toString());
      }
    }
  }

  private static void removeDirs(List<Path> dirs) {
    for (Path d : dirs) {
      for (int attempt = 0; attempt <= 50; attempt++) {
        try {
          Files.deleteIfExists(d);
          break;
        } catch (IOException e) {
          if (attempt == 50) { // an exiting stage keeps a v1 cgroup busy for a moment
            LOG.warn("exec stage pool: cannot remove {}: {}", d, e.toString());
          }
          try {
            Thread.sleep(10);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    }
  }

  /** Ends the waiting stages (EOF on their stdin makes them exit) and removes their cgroups. */
  @Override
  public void close() {
    closed = true;
    filler.shutdown();
    try {
      filler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Pooled p; (p = ready.poll()) != null; ) {
      discard(p);
    }
  }
}
