package io.stockade.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockade.client.SandboxInfo;
import io.stockade.client.SandboxState;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One packaged daemon, two throwaway users, a fake internet: sandboxes created, run, inspected,
 * killed and destroyed through the CLI as the users would, checked from outside by the host's own
 * tools. Scenarios 1-4 and 6 of docs/testing.md.
 */
class SandboxLifecycleE2eTest {
  private static final Duration BOOT = Duration.ofSeconds(120);
  private static StockadeSystem system;

  @BeforeAll
  static void startSystem() throws Exception {
    system = StockadeSystem.start(2, 4);
  }

  @AfterAll
  static void stopSystem() {
    if (system != null) {
      system.close();
    }
  }

  /** Scenario 1: a jailed process runs as the sandbox's own uid, and leaves nothing behind. */
  @Test
  void processSandboxRunsAsItsOwnUidAndLeavesNoTrace() throws Exception {
    Cli alice = system.cli(0);
    JsonNode created = Cli.sandbox(alice.json("create", "--kind", "process", "--name", "hello",
        "--", "/bin/sh", "-c", "echo hello; id -u"));
    String id = created.get("id").asText();
    assertThat(created.path("ownerUid").asInt()).isEqualTo(alice.user().uid);
    alice.json("start", id);
    SandboxInfo ended = system.awaitSandbox(id, Duration.ofSeconds(60), "ended", s -> s.state().isEnded());
    assertThat(ended.state()).as("reason: %s", ended.reason()).isEqualTo(SandboxState.STOPPED);
    assertThat(ended.exitStatus()).isEqualTo(0);

    String console = alice.run("logs", id, "--tail", "100").check().out();
    Matcher m = Pattern.compile("(?m)^hello\\s*\\R(\\d+)\\s*$").matcher(console);
    assertThat(m.find()).as("console shows hello then a uid:\n%s", console).isTrue();
    int uid = Integer.parseInt(m.group(1));
    assertThat(uid).as("the workload's uid").isNotZero().isNotEqualTo(alice.user().uid);

    alice.json("destroy", id);
    assertThat(HostTraces.find(id, system.daemon, system.net, HostTraces.SandboxNet.NONE)).isEmpty();
  }

  /**
   * Scenario 2: a QEMU guest reaches the one destination its egress allows and nothing else
   * (another port on the same server, the metadata address), then powers off when asked.
   */
  @Test
  void guestReachesOnlyItsAllowedDestinationAndPowersOffWhenStopped() throws Exception {
    Prerequisites.assumeQemu();
    Prerequisites.assumeSlowTests();
    String script = String.join("; ",
        "probe() { sleep 2 | nc -w 5 $2 $3; echo \"STK-E2-RC $1 $?\"; }",
        "probe allowed " + FakeInternet.SERVER_ADDRESS + " " + FakeInternet.ALLOWED_PORT,
        "probe denied " + FakeInternet.SERVER_ADDRESS + " " + FakeInternet.DENIED_PORT,
        "probe metadata " + FakeInternet.METADATA_ADDRESS + " " + FakeInternet.METADATA_PORT,
        "echo STK-E2-PROBES-DONE",
        "exec sleep 100000");
    String id = system.createGuest(0, "net", script,
        FakeInternet.SERVER_ADDRESS + "/32:tcp:" + FakeInternet.ALLOWED_PORT);
    Cli alice = system.cli(0);
    JsonNode started = system.startAs(0, id);
    assertThat(started.path("state").asText()).isEqualTo("running");
    String guestAddress = started.path("network").path("guestAddress").asText(null);
    assertThat(guestAddress).as("the sandbox's network info").isNotNull();
    List<ProcessHandle> vmm = HostTraces.qemuOf(id);
    assertThat(vmm).hasSize(1);
    HostTraces.SandboxNet sandboxNet = HostTraces.SandboxNet.of(vmm.get(0), system.net, guestAddress);
    assertThat(sandboxNet.netnsInode()).as("the VMM runs in a network namespace of its own")
        .isNotZero().isNotEqualTo(HostTraces.netnsInode(java.nio.file.Path.of("/proc/self/ns/net")));
    assertThat(sandboxNet.hostLinkIndex()).as("its veth's host end in %s", system.net.hostNs).isPositive();

    String console = system.awaitConsole(id, "STK-E2-PROBES-DONE", Duration.ofSeconds(60));
    assertThat(console).contains("STOCKADE-READY");
    assertThat(console).as("the allowed server's banner reached the guest").contains(FakeInternet.ALLOWED_BANNER);
    assertThat(console).contains("STK-E2-RC allowed 0");
    assertThat(console).as("the denied port must not answer").doesNotContain(FakeInternet.DENIED_BANNER);
    assertThat(console).as("the metadata address must not answer").doesNotContain(FakeInternet.METADATA_BANNER);
    assertThat(console).containsPattern("STK-E2-RC denied [1-9]").containsPattern("STK-E2-RC metadata [1-9]");

    JsonNode stopped = Cli.sandbox(alice.json("stop", id));
    SandboxInfo info = stopped.path("state").asText().equals("stopped")
        ? system.get(id)
        : system.awaitState(id, SandboxState.STOPPED, Duration.ofSeconds(60));
    assertThat(info.state()).isEqualTo(SandboxState.STOPPED);
    assertThat(info.reason()).as("stop reason").matches(StockadeSystem.GRACEFUL_REASON);
    assertThat(alice.run("logs", id, "--tail", "200").check().out()).contains("STOCKADE-POWEROFF");
    assertThat(HostTraces.qemuOf(id)).as("qemu processes after stop").isEmpty();

    alice.json("destroy", id);
    assertThat(HostTraces.find(id, system.daemon, system.net, sandboxNet)).isEmpty();
  }

  /** Scenario 3: policy refuses before anything exists; users cannot see each other's sandboxes. */
  @Test
  void policyDeniesBeforeCreatingAndUsersAreIsolated() throws Exception {
    Cli alice = system.cli(0);
    Cli bob = system.cli(1);
    int sandboxesBefore = system.root().list().size();
    List<String> filesBefore = daemonFiles();

    Shell.Result denied = alice.run("--json", "create", "--kind", "qemu", "--image", "stockade-default",
        "--egress", FakeInternet.SERVER_ADDRESS + "/32:tcp:" + FakeInternet.DENIED_PORT, "--", "/bin/sh", "-c", "true");
    Cli.abortIfUnsupported(denied);
    assertThat(denied.exit()).as(denied.describe()).isEqualTo(4);
    assertThat(denied.err()).contains("PolicyDenied");
    assertThat(system.root().list()).hasSize(sandboxesBefore);
    assertThat(daemonFiles()).as("state, sandbox and jail directories").containsExactlyElementsOf(filesBefore);

    String id = Cli.sandbox(alice.json("create", "--kind", "process", "--name", "private",
        "--", "/bin/sh", "-c", "true")).get("id").asText();
    try {
      Shell.Result get = bob.run("get", id);
      assertThat(get.exit()).as(get.describe()).isIn(4, 5);
      Shell.Result byName = bob.run("get", "private");
      assertThat(byName.exit()).as(byName.describe()).isIn(4, 5);
      assertThat(bob.run("list").check().out()).doesNotContain(id);
      Shell.Result destroy = bob.run("destroy", id);
      assertThat(destroy.exit()).as(destroy.describe()).isIn(4, 5);
      assertThat(system.get(id).state()).isEqualTo(SandboxState.CREATED);
      assertThat(alice.run("list").check().out()).contains(id);
    } finally {
      alice.run("destroy", id);
    }
  }

  /** Scenario 4: the VMM killed from outside turns the sandbox failed, with status and console. */
  @Test
  void vmmKilledFromOutsideMarksTheSandboxFailed() throws Exception {
    Prerequisites.assumeQemu();
    Prerequisites.assumeSlowTests();
    String id = system.createGuest(0, "victim", "echo STK-E2-ALIVE; exec sleep 100000");
    system.startAs(0, id);
    system.awaitConsole(id, "STK-E2-ALIVE", Duration.ofSeconds(30));
    List<ProcessHandle> qemu = HostTraces.qemuOf(id);
    assertThat(qemu).as("one qemu process names sandbox %s in its cgroup or command line", id).hasSize(1);
    system.daemon.remember(qemu.get(0));
    qemu.get(0).destroyForcibly(); // SIGKILL

    SandboxInfo failed = system.awaitState(id, SandboxState.FAILED, Duration.ofSeconds(30));
    assertThat(failed.exitStatus()).as("exit status of a SIGKILLed VMM").isEqualTo(128 + 9);
    assertThat(failed.reason()).isNotBlank();
    assertThat(system.cli(0).run("logs", id, "--tail", "100").check().out())
        .as("the console tail outlives the VMM").contains("STK-E2-ALIVE");

    system.cli(0).json("destroy", id);
    assertThat(HostTraces.find(id, system.daemon, system.net, HostTraces.SandboxNet.NONE)).isEmpty();
  }

  /** Scenario 6: a restored guest still holds a random value it wrote to RAM before the snapshot. */
  @Test
  void snapshotAndRestoreKeepGuestMemory() throws Exception {
    Prerequisites.assumeQemu();
    Prerequisites.assumeSlowTests();
    Cli alice = system.cli(0);
    String script = "v=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \\n'); echo $v > /tmp/stk-value; "
        + "while true; do echo \"STK-E2-VALUE $(cat /tmp/stk-value)\"; sleep 1; done";
    String id = system.createGuest(0, "snapme", script);
    String restored = null;
    try {
      system.startAs(0, id);
      String console = system.awaitConsole(id, "STK-E2-VALUE ", Duration.ofSeconds(30));
      Matcher m = Pattern.compile("STK-E2-VALUE ([0-9a-f]{16})").matcher(console);
      assertThat(m.find()).as("value line in\n%s", console).isTrue();
      String value = m.group(1);

      Shell.Result snap = Cli.abortIfUnsupported(alice.run("--json", "snapshot", id, "mem1"));
      assumeTrue(snap.ok() || !snap.err().contains("MethodNotImplemented"),
          "the daemon does not implement Snapshot: " + snap.err().strip());
      snap.check();
      alice.json("destroy", id);

      JsonNode r = Cli.sandbox(alice.json("restore", "mem1", "--name", "restored"));
      restored = r.get("id").asText();
      system.awaitState(restored, SandboxState.RUNNING, Duration.ofSeconds(60));
      // New lines, printed after the restore (a console copied from the original would not grow).
      String line = "STK-E2-VALUE " + value;
      String first = system.awaitConsole(restored, line, Duration.ofSeconds(30));
      int seen = count(first, line);
      String rid = restored;
      system.awaitSandbox(rid, Duration.ofSeconds(30), "printing the value again",
          s -> count(system.logsQuietly(rid), line) > seen);
      assertThat(system.logs(restored)).as("the restored guest prints only the value it had in memory")
          .doesNotContainPattern("STK-E2-VALUE (?!" + value + ")[0-9a-f]{16}");
    } finally {
      alice.run("destroy", id);
      if (restored != null) {
        alice.run("destroy", restored);
      }
    }
  }

  /**
   * The daemon's per-sandbox files: state files (the top of stateDir; network slot and uid leases
   * below it change as spare slots are built) and the sandboxes and jails directories.
   */
  private static List<String> daemonFiles() {
    List<String> all = new java.util.ArrayList<>();
    HostTraces.namedAfter(system.daemon.stateDir, "", 1).stream().filter(java.nio.file.Files::isRegularFile)
        .forEach(p -> all.add(p.toString()));
    for (java.nio.file.Path dir : List.of(system.daemon.sandboxesDir, system.daemon.jailsDir)) {
      HostTraces.namedAfter(dir, "", 3).forEach(p -> all.add(p.toString()));
    }
    java.util.Collections.sort(all);
    return all;
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }
}
