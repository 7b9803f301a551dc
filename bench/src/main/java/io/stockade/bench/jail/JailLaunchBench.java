package io.stockade.bench.jail;

import io.stockade.policy.CpuList;
import io.stockade.supervisor.jail.JailConfig;
import io.stockade.supervisor.jail.JailSpec;
import io.stockade.supervisor.jail.JailedProcess;
import io.stockade.supervisor.jail.LinuxJailLauncher;
import io.stockade.supervisor.jail.SystemMounts;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Time from a launch request to the workload running with every confinement in force (the exec
 * stage's status pipe reaches EOF, i.e. execve succeeded), for /bin/true with the system mounts
 * and the process seccomp profile; next to a bare ProcessBuilder start of the same program in the
 * same run. Prints p50/p90/p99 and the overhead.
 *
 * <p>{@code scripts/bench io.stockade.bench.jail.JailLaunchBench [RUNS [STATE_PARENT_DIR [trace|-
 * [POOLED_STAGES [CPUS|-]]]]]} (root; default 200 runs under /tmp, no trace, the launcher's default
 * pool, not pinned; CPUS pins every launch, e.g. 1)
 */
public final class JailLaunchBench {
  private JailLaunchBench() {}

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int warmup = Math.max(10, runs / 10);
    // A second argument puts the state (jails, leases) elsewhere, e.g. on a tmpfs: /dev/shm
    Path base = args.length > 1
        ? Files.createTempDirectory(Path.of(args[1]), "stockade-bench-jail-")
        : Files.createTempDirectory("stockade-bench-jail-");
    // A third argument "trace" records each launch's steps (Java and the exec stage) and prints
    // the median time of each step.
    boolean trace = args.length > 2 && args[2].equals("trace");
    Path traceFile = Files.createTempFile("stockade-bench-trace-", ".txt");
    if (trace) {
      System.setProperty("stockade.jail.trace", traceFile.toString());
    }
    JailConfig config = JailConfig.defaults(base).withUidRange(960_000, 1024).withCgroupPrefix("stockade-bench-");
    // A fourth argument sets how many exec stages the launcher keeps started ahead (0: none).
    int pooled = args.length > 3 ? Integer.parseInt(args[3]) : LinuxJailLauncher.DEFAULT_POOLED_STAGES;
    // A fifth argument pins every launch to these CPUs (its cpuset), "-" or none: not pinned.
    CpuList cpus = args.length > 4 && !args[4].equals("-") ? CpuList.parse(args[4]) : CpuList.NONE;
    LinuxJailLauncher launcher = LinuxJailLauncher.create(config, pooled);
    Path exe = Path.of("/bin/true");
    List<JailSpec.Mount> mounts = SystemMounts.readOnly();
    long[] jail = new long[runs];
    long[] bare = new long[runs];
    long[] cleanup = new long[runs];
    long jailCpu = 0;
    long bareCpu = 0;
    String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
    try {
      for (int i = -warmup; i < runs; i++) {
        String id = "bench-" + (i + warmup);
        JailSpec spec = new JailSpec(id, exe, List.of("true"), Map.of(), mounts, List.of("null"), Optional.empty(),
            new JailSpec.Limits(0, 64L << 20, 16, 64, 0).withCpus(cpus), "process", false, "/");
        long c0 = childrenCpuTicks();
        long t0 = System.nanoTime();
        JailedProcess p = launcher.launch(spec);
        long t1 = System.nanoTime();
        int status = p.onExit().get(10, TimeUnit.SECONDS);
        if (status != 0) {
          throw new IllegalStateException(id + " exited " + status);
        }
        long t2 = System.nanoTime();
        long c1 = childrenCpuTicks();
        launcher.cleanup(id);
        long t3 = System.nanoTime();

        long b0 = System.nanoTime();
        Process bp = new ProcessBuilder(exe.toString()).redirectInput(new File("/dev/null"))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long b1 = System.nanoTime();
        bp.waitFor();
        long c2 = childrenCpuTicks();
        if (i >= 0) {
          jailCpu += c1 - c0;
          bareCpu += c2 - c1;
          jail[i] = t1 - t0;
          bare[i] = b1 - b0;
          cleanup[i] = t3 - t2;
        }
      }
    } finally {
      launcher.close();
      try (Stream<Path> s = Files.walk(base)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    System.out.printf("JailLaunchBench: %d launches of %s (after %d warm-up), %d CPUs, state in %s, %d pooled stages, "
        + "pinned to %s%n", runs, exe, warmup, Runtime.getRuntime().availableProcessors(), base.getParent(), pooled,
        cpus.isEmpty() ? "-" : cpus);
    print("jailed launch (request -> exec done)", jail);
    print("bare ProcessBuilder.start", bare);
    print("cleanup (cgroups, jail dir, lease)", cleanup);
    System.out.printf("overhead p50: %.2f ms (target <= 10 ms)%n", (pct(jail, 50) - pct(bare, 50)) / 1e6);
    // CPU time is what the launch costs the host independent of how busy it is; the wall-clock
    // figures above include waiting for a CPU. 100 ticks per second (USER_HZ).
    System.out.printf("CPU per launch (stage + workload, reaped children): jailed %.2f ms, bare %.2f ms%n",
        jailCpu * 10.0 / runs, bareCpu * 10.0 / runs);
    System.out.printf("load average before: %s, after: %s%n", loadBefore, Files.readString(Path.of("/proc/loadavg")).trim());
    if (trace) {
      LaunchSteps.print(traceFile, warmup, System.out);
    }
    Files.deleteIfExists(traceFile);
  }

  /** cutime + cstime of this JVM: CPU of every child it has reaped, and of theirs. */
  private static long childrenCpuTicks() throws java.io.IOException {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[16 - 3]) + Long.parseLong(f[17 - 3]);
  }

  private static void print(String what, long[] ns) {
    System.out.printf("  %-38s p50 %7.2f ms   p90 %7.2f ms   p99 %7.2f ms   max %7.2f ms%n", what,
        pct(ns, 50) / 1e6, pct(ns, 90) / 1e6, pct(ns, 99) / 1e6, pct(ns, 100) / 1e6);
  }

  private static double pct(long[] ns, int p) {
    long[] s = ns.clone();
    Arrays.sort(s);
    int idx = (int) Math.ceil(p / 100.0 * s.length) - 1;
    return s[Math.max(0, Math.min(s.length - 1, idx))];
  }
}
