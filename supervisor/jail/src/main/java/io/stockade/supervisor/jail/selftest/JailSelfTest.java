package io.stockade.supervisor.jail.selftest;

import io.stockade.policy.CpuList;
import io.stockade.supervisor.jail.JailConfig;
import io.stockade.supervisor.jail.JailException;
import io.stockade.supervisor.jail.JailSpec;
import io.stockade.supervisor.jail.JailedProcess;
import io.stockade.supervisor.jail.LinuxJailLauncher;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code stockade-supervisor selftest}: launches the hostile probe in a real jail on this host
 * and prints whether each escape attempt was stopped the way the design says, and whether the
 * workload's /proc status shows the confinement. Operators run it after installing or upgrading
 * the kernel, libseccomp or the supervisor.
 */
public final class JailSelfTest {
  /** Attempt name -> the probe's answer that counts as "stopped", and how. */
  private static final Map<String, String> EXPECTED = new LinkedHashMap<>();

  static {
    EXPECTED.put("read_host_file", "errno 2 ENOENT");
    EXPECTED.put("write_outside_root", "errno 30 EROFS");
    EXPECTED.put("mount", "killed 31 SYS");
    EXPECTED.put("unshare_userns", "killed 31 SYS");
    EXPECTED.put("ptrace", "killed 31 SYS");
    EXPECTED.put("init_module", "killed 31 SYS");
    EXPECTED.put("raw_socket", "errno 1 EPERM");
    EXPECTED.put("netlink_socket", "errno 97 EAFNOSUPPORT");
    EXPECTED.put("signal_other", "errno 3 ESRCH");
    EXPECTED.put("setuid_root", "errno 1 EPERM");
    EXPECTED.put("fork_bomb", "errno 11 EAGAIN");
    EXPECTED.put("memory_hog", "killed 9 KILL");
  }

  private JailSelfTest() {}

  /** Runs every check and prints a table; true when all passed. */
  public static boolean run(JailConfig config, PrintStream out) {
    List<String[]> rows = new ArrayList<>();
    String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(1 << 30), 36);
    String victimId = "selftest-victim-" + suffix;
    String probeId = "selftest-probe-" + suffix;
    LinuxJailLauncher launcher = null;
    try {
      launcher = LinuxJailLauncher.create(config);
      Path probe = LinuxJailLauncher.probe(config);
      CpuList pin = pinnable(launcher, rows);
      JailedProcess victim = launcher.launch(
          spec(victimId, probe, new JailSpec.Limits(0, 32L << 20, 8, 64, 0).withCpus(pin), "sleep"));
      waitFor(victim, "sleeping");
      long victimPid = workloadPid(victim);
      statusChecks(victimPid, victim, rows);
      if (!pin.isEmpty()) {
        check(rows, "Cpus_allowed_list", statusOf(victimPid).get("Cpus_allowed_list"), pin.toString());
      }
      JailedProcess p = launcher.launch(spec(probeId, probe, new JailSpec.Limits(0, 64L << 20, 32, 64, 0).withCpus(pin),
          "all", Long.toString(victimPid)));
      int status = p.onExit().get(120, TimeUnit.SECONDS);
      String console = Files.readString(p.consoleFile());
      Map<String, String> expected = new LinkedHashMap<>(EXPECTED);
      if (!pin.isEmpty()) {
        // Pinned: asking for every other CPU leaves an empty set inside the cpuset.
        expected.put("widen_cpus", "errno 22 EINVAL");
      }
      for (Map.Entry<String, String> e : expected.entrySet()) {
        String got = console.lines().filter(l -> l.startsWith(e.getKey() + " ") && !l.contains(" forks "))
            .map(l -> l.substring(e.getKey().length() + 1)).findFirst().orElse("no answer (probe exited " + status + ")");
        rows.add(new String[] {e.getKey(), got.equals(e.getValue()) ? "PASS" : "FAIL", got + "  (expected " + e.getValue() + ")"});
      }
      rows.add(new String[] {"victim_unharmed", victim.onExit().isDone() ? "FAIL" : "PASS", "other sandbox still running"});
    } catch (JailException | IOException | RuntimeException | InterruptedException | java.util.concurrent.ExecutionException
        | java.util.concurrent.TimeoutException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      rows.add(new String[] {"selftest", "FAIL", e.getClass().getSimpleName() + ": " + e.getMessage()});
    } finally {
      if (launcher != null) {
        launcher.cleanup(probeId);
        launcher.cleanup(victimId);
        launcher.close();
      }
    }
    boolean ok = true;
    out.printf("%-22s %-5s %s%n", "CHECK", "", "DETAIL");
    for (String[] r : rows) {
      out.printf("%-22s %-5s %s%n", r[0], r[1], r[2]);
      ok &= !r[1].equals("FAIL");
    }
    out.println(ok ? "selftest: all checks passed" : "selftest: FAILED");
    return ok;
  }

  /**
   * The last CPU sandboxes may use, to pin both sandboxes to; none (and a SKIP row saying why)
   * where there is no cpuset controller or only one CPU, which cannot tell pinned from not.
   */
  private static CpuList pinnable(LinuxJailLauncher launcher, List<String[]> rows) throws JailException {
    Optional<CpuList> cpus = launcher.pinnableCpus();
    if (cpus.isEmpty() || cpus.get().size() < 2) {
      rows.add(new String[] {"cpuset", "SKIP", cpus.isEmpty() ? "no cpuset controller: pinned launches are refused"
          : "only CPU " + cpus.get() + " available: pinning not checked"});
      return CpuList.NONE;
    }
    for (int cpu = CpuList.LIMIT - 1; ; cpu--) {
      if (cpus.get().contains(cpu)) {
        return CpuList.of(cpu);
      }
    }
  }

  private static Map<String, String> statusOf(long pid) throws IOException {
    Map<String, String> st = new LinkedHashMap<>();
    for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      int c = l.indexOf(':');
      st.put(l.substring(0, c), l.substring(c + 1).trim());
    }
    return st;
  }

  private static void statusChecks(long pid, JailedProcess p, List<String[]> rows) throws IOException {
    Map<String, String> st = statusOf(pid);
    check(rows, "Uid", st.get("Uid"), (p.uid() + "\t").repeat(3) + p.uid());
    check(rows, "Gid", st.get("Gid"), (p.gid() + "\t").repeat(3) + p.gid());
    check(rows, "Groups", st.get("Groups"), "");
    for (String cap : List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) {
      check(rows, cap, st.get(cap), "0000000000000000");
    }
    check(rows, "NoNewPrivs", st.get("NoNewPrivs"), "1");
    check(rows, "Seccomp", st.get("Seccomp"), "2");
    for (String ns : List.of("mnt", "pid", "ipc", "uts")) {
      String theirs = Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/" + ns)).toString();
      String ours = Files.readSymbolicLink(Path.of("/proc/self/ns/" + ns)).toString();
      rows.add(new String[] {"ns_" + ns, theirs.equals(ours) ? "FAIL" : "PASS", theirs + " vs supervisor " + ours});
    }
  }

  private static void check(List<String[]> rows, String name, String got, String want) {
    rows.add(new String[] {name, want.equals(got) ? "PASS" : "FAIL", (got == null ? "missing" : got.replace('\t', ' '))
        + (want.equals(got) ? "" : "  (expected " + want.replace('\t', ' ') + ")")});
  }

  private static JailSpec spec(String id, Path probe, JailSpec.Limits limits, String... args) {
    List<String> argv = new ArrayList<>(List.of("stockade-probe"));
    argv.addAll(List.of(args));
    return new JailSpec(id, probe, argv, Map.of(), List.of(), List.of("null"), Optional.empty(), limits, "process", false, "/");
  }

  /** The workload is the stage's only child (pid 1 of its namespace). */
  private static long workloadPid(JailedProcess p) throws IOException {
    String children = Files.readString(Path.of("/proc/" + p.pid() + "/task/" + p.pid() + "/children")).trim();
    return Long.parseLong(children.split(" ")[0]);
  }

  private static void waitFor(JailedProcess p, String text) throws IOException, InterruptedException {
    for (int i = 0; i < 200; i++) {
      if (Files.exists(p.consoleFile()) && Files.readString(p.consoleFile()).contains(text)) {
        return;
      }
      Thread.sleep(25);
    }
    throw new IOException("the probe did not start: " + p.consoleFile() + " lacks \"" + text + "\"");
  }

  /** For running it by hand: {@code java ... JailSelfTest [STATE_DIR]}. */
  public static void main(String[] args) {
    JailConfig config = JailConfig.defaults(Path.of(args.length > 0 ? args[0] : "/var/lib/stockade"));
    System.exit(run(config, System.out) ? 0 : 1);
  }
}
