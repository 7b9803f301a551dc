package io.stockade.bench.jail;

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
 * <p>{@code scripts/bench io.stockade.bench.jail.JailLaunchBench [RUNS]} (root; default 200)
 */
public final class JailLaunchBench {
  private JailLaunchBench() {}

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int warmup = Math.max(10, runs / 10);
    Path base = Files.createTempDirectory("stockade-bench-jail-");
    JailConfig config = JailConfig.defaults(base).withUidRange(960_000, 1024).withCgroupPrefix("stockade-bench-");
    LinuxJailLauncher launcher = LinuxJailLauncher.create(config);
    Path exe = Path.of("/bin/true");
    List<JailSpec.Mount> mounts = SystemMounts.readOnly();
    long[] jail = new long[runs];
    long[] bare = new long[runs];
    long[] cleanup = new long[runs];
    try {
      for (int i = -warmup; i < runs; i++) {
        String id = "bench-" + (i + warmup);
        JailSpec spec = new JailSpec(id, exe, List.of("true"), Map.of(), mounts, List.of("null"), Optional.empty(),
            new JailSpec.Limits(0, 64L << 20, 16, 64, 0), "process", false, "/");
        long t0 = System.nanoTime();
        JailedProcess p = launcher.launch(spec);
        long t1 = System.nanoTime();
        int status = p.onExit().get(10, TimeUnit.SECONDS);
        if (status != 0) {
          throw new IllegalStateException(id + " exited " + status);
        }
        long t2 = System.nanoTime();
        launcher.cleanup(id);
        long t3 = System.nanoTime();

        long b0 = System.nanoTime();
        Process bp = new ProcessBuilder(exe.toString()).redirectInput(new File("/dev/null"))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long b1 = System.nanoTime();
        bp.waitFor();
        if (i >= 0) {
          jail[i] = t1 - t0;
          bare[i] = b1 - b0;
          cleanup[i] = t3 - t2;
        }
      }
    } finally {
      try (Stream<Path> s = Files.walk(base)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    System.out.printf("JailLaunchBench: %d launches of %s (after %d warm-up), %d CPUs%n", runs, exe, warmup,
        Runtime.getRuntime().availableProcessors());
    print("jailed launch (request -> exec done)", jail);
    print("bare ProcessBuilder.start", bare);
    print("cleanup (cgroups, jail dir, lease)", cleanup);
    System.out.printf("overhead p50: %.2f ms (target <= 10 ms)%n", (pct(jail, 50) - pct(bare, 50)) / 1e6);
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
