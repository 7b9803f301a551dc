package io.stockade.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockade.client.SandboxState;
import io.stockade.policy.CpuList;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Scenario 7: the limits a user asks for through the CLI reach the kernel. A jailed process
 * pinned to one CPU and given network rate limits is inspected from outside: its affinity in
 * /proc, its network namespace (the workload namespace behind its sandbox namespace), the rate
 * limits in the sandbox namespace's nftables table, and what Get reports. It also reaches the one
 * destination its egress allows. (The limits' effect on real traffic is measured by the net
 * module's tests.)
 */
class LimitsE2eTest {
  private static StockadeSystem system;

  @BeforeAll
  static void startSystem() throws Exception {
    system = StockadeSystem.start(1, 2);
  }

  @AfterAll
  static void stopSystem() {
    if (system != null) {
      system.close();
    }
  }

  @Test
  void cpuPinningAndNetworkRatesReachTheKernelAndGetShowsThem() throws Exception {
    CpuList own = CpuList.parse(HostTraces.read("/proc/self/status").lines()
        .filter(l -> l.startsWith("Cpus_allowed_list:")).findFirst().orElse("x:").split(":")[1]);
    assumeTrue(own.contains(1), "needs CPU 1, this process may use " + own);
    Cli alice = system.cli(0);
    String marker = "stk-e2-lim-" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20, 1 << 30), 36);
    JsonNode created = Cli.sandbox(alice.json("create", "--kind", "process", "--name", "limited", "--cpus", "1",
        "--egress", FakeInternet.SERVER_ADDRESS + "/32:tcp:" + FakeInternet.ALLOWED_PORT,
        "--net-rate", "256000", "--net-pps", "300", "--", "/bin/sh", "-c",
        "socat -T 3 - TCP:" + FakeInternet.SERVER_ADDRESS + ":" + FakeInternet.ALLOWED_PORT + ",connect-timeout=3 </dev/null; "
            + "echo STK-E2-PROBED $?; "
            + "socat -T 3 - TCP:" + FakeInternet.SERVER_ADDRESS + ":" + FakeInternet.DENIED_PORT + ",connect-timeout=3 </dev/null; "
            + "echo STK-E2-DENIED $?; sleep 120; echo " + marker));
    String id = created.get("id").asText();
    try {
      JsonNode limits = created.path("limits");
      assertThat(limits.path("cpus").asText()).isEqualTo("1");
      assertThat(limits.path("netBytesPerSec").asLong()).isEqualTo(256000);
      assertThat(limits.path("netPacketsPerSec").asLong()).isEqualTo(300);

      alice.json("start", id);
      ProcessHandle workload = awaitProcess(id, marker, Duration.ofSeconds(20));
      String status = HostTraces.read("/proc/" + workload.pid() + "/status");
      assertThat(status).as("the workload's affinity, from outside").containsPattern("(?m)^Cpus_allowed_list:\\s+1$");

      String console = system.awaitConsole(id, "STK-E2-DENIED", Duration.ofSeconds(20));
      assertThat(console).as("the jailed process reaches its allowed destination")
          .contains(FakeInternet.ALLOWED_BANNER).contains("STK-E2-PROBED 0");
      assertThat(console).as("and not another port of the same server")
          .doesNotContain(FakeInternet.DENIED_BANNER).containsPattern("STK-E2-DENIED [1-9]");

      // The process runs in <prefix>-w<slot>; its firewall is in <prefix>-<slot>, in front of it.
      String prefix = system.daemon.netPrefix;
      String workloadNs = workloadNamespace(workload);
      String sandboxNs = prefix + "-" + workloadNs.substring(prefix.length() + 2);
      String table = Shell.runOk("nsenter", "--net=/run/netns/" + sandboxNs,
          "nft", "list", "table", "inet", "stockade").out();
      assertThat(table).as("the sandbox's own table").contains("limit rate over 300/second");
      assertThat(table).containsPattern("limit rate over 250 kbytes/second");

      String shown = alice.run("get", id).check().out();
      assertThat(shown).containsPattern("pinned to CPUs:\\s+1").contains("256000 B/s, 300 packets/s");
      alice.json("destroy", id);
      assertThat(HostTraces.netnsNames()).as("namespaces after destroy").doesNotContain(workloadNs);
    } finally {
      alice.run("destroy", id);
    }
    assertThat(HostTraces.processesOf(id)).as("nothing of it runs after destroy").isEmpty();
  }

  /**
   * A running process sandbox keeps its network when the daemon is killed and restarted: the
   * restarted daemon reattaches to the process, its network reconcile keeps the workload
   * namespace, and the process goes on reaching its destination; destroy then removes it.
   */
  @Test
  void aProcessSandboxKeepsItsNetworkAcrossADaemonRestart() throws Exception {
    Cli alice = system.cli(0);
    String marker = "stk-e2-net-" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20, 1 << 30), 36);
    String id = Cli.sandbox(alice.json("create", "--kind", "process", "--name", "survivor",
        "--egress", FakeInternet.SERVER_ADDRESS + "/32:tcp:" + FakeInternet.ALLOWED_PORT, "--", "/bin/sh", "-c",
        "while true; do socat -T 2 - TCP:" + FakeInternet.SERVER_ADDRESS + ":" + FakeInternet.ALLOWED_PORT
            + ",connect-timeout=2 </dev/null >/dev/null 2>&1; echo STK-E2-NET $?; sleep 0.5; done; echo " + marker))
        .get("id").asText();
    try {
      alice.json("start", id);
      ProcessHandle workload = awaitProcess(id, marker, Duration.ofSeconds(20));
      system.daemon.remember(workload);
      system.awaitConsole(id, "STK-E2-NET 0", Duration.ofSeconds(20));
      String workloadNs = workloadNamespace(workload);

      system.daemon.sigkill();
      system.daemon.start();
      assertThat(system.get(id).state()).as("after restart").isEqualTo(SandboxState.RUNNING);
      assertThat(workload.isAlive()).isTrue();
      assertThat(HostTraces.netnsInode(Path.of("/run/netns", workloadNs)))
          .as("the workload namespace, kept").isEqualTo(HostTraces.netnsInode(workload));
      long before = count(system.logs(id), "STK-E2-NET 0");
      system.awaitSandbox(id, Duration.ofSeconds(20), "reaching its destination after the restart",
          x -> count(system.logsQuietly(id), "STK-E2-NET 0") > before + 1);
      assertThat(system.logs(id)).as("no failed connect").doesNotContainPattern("STK-E2-NET [1-9]");

      alice.json("destroy", id);
      assertThat(HostTraces.netnsNames()).as("namespaces after destroy").doesNotContain(workloadNs);
    } finally {
      alice.run("destroy", id);
    }
  }

  private static long count(String text, String needle) {
    return text.lines().filter(l -> l.contains(needle)).count();
  }

  /** The name under /run/netns of the namespace {@code p} runs in: <prefix>-w<slot>. */
  private static String workloadNamespace(ProcessHandle p) {
    long inode = HostTraces.netnsInode(p);
    String name = HostTraces.netnsNames().stream()
        .filter(n -> HostTraces.netnsInode(Path.of("/run/netns", n)) == inode).findFirst().orElse("(none)");
    assertThat(name).as("the process's network namespace")
        .matches(Pattern.quote(system.daemon.netPrefix) + "-w\\d+");
    return name;
  }

  /** The process of sandbox {@code id} whose command line holds {@code marker}, once it runs. */
  private static ProcessHandle awaitProcess(String id, String marker, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (ProcessHandle h : HostTraces.processesOf(id)) {
        if (HostTraces.read("/proc/" + h.pid() + "/cmdline").contains(marker)) {
          return h;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no process of sandbox " + id + " holds '" + marker + "' after " + timeout);
  }
}
