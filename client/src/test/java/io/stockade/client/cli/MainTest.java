package io.stockade.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.stockade.client.InvalidStateException;
import io.stockade.client.LaunchFailedException;
import io.stockade.client.NotFoundException;
import io.stockade.client.PolicyDeniedException;
import io.stockade.client.PreflightCheck;
import io.stockade.client.CheckStatus;
import io.stockade.client.Replies;
import io.stockade.client.SandboxInfo;
import io.stockade.client.SandboxState;
import io.stockade.client.ScriptedVarlinkServer;
import io.stockade.client.varlink.VarlinkCall;
import io.stockade.client.varlink.VarlinkJson;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs the CLI's Main in-process against a real scripted varlink server. */
@Timeout(60)
class MainTest {
  private ScriptedVarlinkServer server;
  private String out;
  private String err;

  @BeforeEach
  void startServer() throws Exception {
    server = ScriptedVarlinkServer.start();
  }

  @AfterEach
  void stopServer() throws Exception {
    server.close();
  }

  private int run(String... args) {
    return runWithEnv(Map.of("STOCKADE_SOCKET", server.socket().toString()), args);
  }

  private int runWithEnv(Map<String, String> env, String... args) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    int code = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8), env);
    out = o.toString(StandardCharsets.UTF_8);
    err = e.toString(StandardCharsets.UTF_8);
    return code;
  }

  private static SandboxInfo sb(String id, SandboxState state) {
    return ScriptedVarlinkServer.sandbox(id, state);
  }

  @Test
  void pingPrintsVersionsAndUsesTheSocketFromTheEnvironment() {
    server.replies("Ping", new Replies.Ping("0.1.0", 1));
    assertThat(run("ping")).isZero();
    assertThat(out).isEqualTo("stockade-supervisor 0.1.0, protocol 1 (this client speaks protocol 1)\n");
    assertThat(server.connectionCount()).as("one connection per CLI call, no probe").isEqualTo(1);
  }

  @Test
  void socketOptionOverridesTheEnvironment() {
    server.replies("Ping", new Replies.Ping("0.1.0", 1));
    int code = runWithEnv(Map.of("STOCKADE_SOCKET", "/nonexistent/stk-cl.sock"), "--socket", server.socket().toString(), "--json", "ping");
    assertThat(code).isZero();
    assertThat(out).isEqualTo("{\"version\":\"0.1.0\",\"protocolVersion\":1}\n");
  }

  @Test
  void sendTypesTheTextAndANewlineUnlessToldNot() {
    server.replies("WriteConsole", new Replies.WriteConsole(7));
    assertThat(run("send", "sb-1", "uname -a")).isZero();
    assertThat(server.lastCall().method()).isEqualTo("io.stockade.Supervisor.WriteConsole");
    assertThat(server.lastCall().parameters().get("data").asText()).isEqualTo("uname -a\n");
    assertThat(run("console-write", "sb-1", "q", "--no-newline", "--json")).isZero();
    assertThat(server.lastCall().parameters().get("data").asText()).isEqualTo("q");
    assertThat(out).isEqualTo("{\"written\":7}\n");
  }

  @Test
  void listPrintsATableOrJson() {
    server.replies("List", new Replies.SandboxList(List.of(sb("sb-1", SandboxState.RUNNING), sb("sb-22", SandboxState.STOPPED))));
    assertThat(run("ls")).isZero();
    String[] lines = out.split("\n");
    assertThat(lines).hasSize(3);
    assertThat(lines[0]).startsWith("ID     NAME        KIND  STATE    VCPUS");
    assertThat(lines[1]).startsWith("sb-1   name-sb-1   qemu  running  1");
    assertThat(lines[2]).contains("sb-22").contains("stopped");
    assertThat(run("list", "--json")).isZero();
    assertThat(out).startsWith("{\"sandboxes\":[{\"id\":\"sb-1\"").endsWith("}\n");
  }

  @Test
  void createBuildsTheSpecFromOptionsAndPrintsTheId() throws Exception {
    server.replies("Create", new Replies.Sandbox(sb("sb-9", SandboxState.CREATED)));
    assertThat(run("create", "--kind", "process", "--name=job", "--vcpus", "2", "--memory", "512",
        "--egress", "10.0.0.0/8:tcp:443", "--dns", "example.org", "--", "/bin/echo", "--json", "hi")).isZero();
    assertThat(out).isEqualTo("sb-9\n");
    VarlinkCall call = server.lastCall();
    assertThat(call.method()).isEqualTo("io.stockade.Supervisor.Create");
    assertThat(new String(VarlinkJson.toBytes(call.parameters().get("spec")), StandardCharsets.UTF_8)).isEqualTo(
        "{\"kind\":\"process\",\"name\":\"job\",\"command\":[\"/bin/echo\",\"--json\",\"hi\"],\"vcpus\":2,\"memoryMiB\":512,"
            + "\"egress\":[{\"cidr\":\"10.0.0.0/8\",\"protocol\":\"tcp\",\"portFrom\":443,\"portTo\":443}],"
            + "\"dnsNames\":[\"example.org\"],\"network\":true}");
  }

  @Test
  void dataDiskOptionsBecomeTheSpecsDataDisksInOrder() throws Exception {
    server.replies("Create", new Replies.Sandbox(sb("sb-9", SandboxState.CREATED)));
    assertThat(run("create", "--data-disk", "64", "--data-disk=2048")).isZero();
    assertThat(new String(VarlinkJson.toBytes(server.lastCall().parameters().get("spec")), StandardCharsets.UTF_8))
        .isEqualTo("{\"kind\":\"qemu\",\"command\":[],\"egress\":[],\"dnsNames\":[],\"network\":false,"
            + "\"dataDisks\":[{\"sizeMiB\":64},{\"sizeMiB\":2048}]}");
    assertThat(run("create", "--data-disk", "1G")).isEqualTo(2);
    assertThat(err).contains("--data-disk '1G': expected a size in MiB");
    assertThat(run("create", "--data-disk", "0")).isEqualTo(2);
    assertThat(err).contains("at least 1 MiB");
  }

  @Test
  void pidsAndIoOptionsBecomeTheSpecsLimits() throws Exception {
    server.replies("Create", new Replies.Sandbox(sb("sb-9", SandboxState.CREATED)));
    assertThat(run("create", "--pids", "100", "--io-read", "1048576", "--io-write=2097152")).isZero();
    assertThat(new String(VarlinkJson.toBytes(server.lastCall().parameters().get("spec")), StandardCharsets.UTF_8))
        .isEqualTo("{\"kind\":\"qemu\",\"command\":[],\"egress\":[],\"dnsNames\":[],\"network\":false,"
            + "\"pids\":100,\"ioReadBytesPerSec\":1048576,\"ioWriteBytesPerSec\":2097152}");
    assertThat(run("create", "--pids", "many")).isEqualTo(2);
    assertThat(err).contains("--pids 'many': expected a whole number");
    assertThat(run("create", "--io-write", "0")).isEqualTo(2);
    assertThat(err).contains("--io-write 0: must be at least 1");
  }

  @Test
  void cpuAndNetRateOptionsBecomeTheSpecsPlacement() throws Exception {
    server.replies("Create", new Replies.Sandbox(sb("sb-9", SandboxState.CREATED)));
    assertThat(run("create", "--cpus", "0,2-3", "--net-rate", "125000", "--net-pps=500")).isZero();
    assertThat(new String(VarlinkJson.toBytes(server.lastCall().parameters().get("spec")), StandardCharsets.UTF_8))
        .isEqualTo("{\"kind\":\"qemu\",\"command\":[],\"egress\":[],\"dnsNames\":[],\"network\":false,"
            + "\"cpus\":\"0,2-3\",\"netBytesPerSec\":125000,\"netPacketsPerSec\":500}");
    assertThat(run("create", "--net-pps", "lots")).isEqualTo(2);
    assertThat(err).contains("--net-pps 'lots': expected a whole number");
  }

  @Test
  void usageErrorsExitTwoWithoutTouchingTheSocket() {
    assertThat(run("create", "--kind", "vmware", "--image", "x")).isEqualTo(2);
    assertThat(err).contains("unknown sandbox kind 'vmware'").contains("stockade create --help");
    assertThat(run("create", "--kind", "process")).isEqualTo(2);
    assertThat(err).contains("needs a command after --");
    assertThat(run("create", "--vcpus", "0")).isEqualTo(2);
    assertThat(err).contains("--vcpus must be at least 1");
    assertThat(run("start")).isEqualTo(2);
    assertThat(err).contains("missing ID");
    assertThat(run("stop", "a", "--bogus")).isEqualTo(2);
    assertThat(err).contains("unknown option --bogus");
    assertThat(run("logs", "a", "--tail", "many")).isEqualTo(2);
    assertThat(err).contains("whole number");
    assertThat(run("frobnicate")).isEqualTo(2);
    assertThat(err).contains("unknown command 'frobnicate'");
    assertThat(run("update-egress", "a", "--egress", "example.org:443")).isEqualTo(2);
    assertThat(run()).isEqualTo(2);
    assertThat(out).contains("Usage: stockade");
    assertThat(server.calls()).isEmpty();
  }

  @Test
  void everySubcommandHasHelp() {
    for (Command c : SandboxCommands.all()) {
      assertThat(run(c.name(), "--help")).as(c.name()).isZero();
      assertThat(out).startsWith("Usage: stockade " + c.name());
      assertThat(run("help", c.name())).isZero();
    }
    assertThat(run("--help")).isZero();
    assertThat(out).contains("update-egress").contains("Exit codes:").contains("  5  no such sandbox");
    assertThat(server.calls()).isEmpty();
  }

  @Test
  void daemonErrorsMapToDocumentedExitCodes() {
    server.fails("Get", new NotFoundException("ghost"));
    server.fails("Create", new PolicyDeniedException("image 'evil' not allowed"));
    server.fails("Pause", new InvalidStateException("a", SandboxState.STOPPED, "pause"));
    server.fails("Start", new LaunchFailedException("a", "boot", "no readiness line", "Kernel panic"));
    assertThat(run("get", "ghost")).isEqualTo(5);
    assertThat(err).contains("ghost");
    assertThat(run("create", "--image", "evil")).isEqualTo(4);
    assertThat(err).contains("denied by policy: image 'evil' not allowed");
    assertThat(run("pause", "a")).isEqualTo(6);
    assertThat(run("start", "a")).isEqualTo(7);
    assertThat(err).contains("step boot").contains("Kernel panic");
    assertThat(run("resume", "a")).as("unscripted: MethodNotFound").isEqualTo(1);
    assertThat(run("--json", "get", "ghost")).isEqualTo(5);
    assertThat(err).startsWith("{\"error\":\"io.stockade.Supervisor.NotFound\",\"parameters\":{\"id\":\"ghost\"}}\n");
  }

  @Test
  void cannotConnectExitsThree() {
    assertThat(run("--socket", server.socket().resolveSibling("none.sock").toString(), "ping")).isEqualTo(3);
    assertThat(err).contains("cannot connect");
  }

  @Test
  void hangUpAndTimeoutHaveTheirOwnCodes() {
    server.on("Get", (call, ex) -> ex.hangUp());
    server.on("Ping", (call, ex) -> ex.awaitClientHangUp());
    assertThat(run("get", "a")).isEqualTo(9);
    assertThat(run("--call-timeout", "1", "ping")).isEqualTo(8);
    assertThat(err).contains("no reply within 1000 ms");
  }

  @Test
  void stopPassesTimeoutAndForce() {
    server.replies("Stop", new Replies.Sandbox(sb("a", SandboxState.STOPPED).withState(SandboxState.STOPPED, "SIGKILL after 3s")));
    assertThat(run("stop", "a", "--timeout", "3", "--force")).isZero();
    assertThat(out).isEqualTo("a stopped (SIGKILL after 3s)\n");
    assertThat(server.lastCall().parameters().toString()).isEqualTo("{\"id\":\"a\",\"timeoutSeconds\":3,\"graceful\":false}");
  }

  @Test
  void logsFollowPrintsChunksAsTheyCome() {
    server.on("Logs", (call, ex) -> {
      ex.continuing(new Replies.Logs("booting\n"));
      ex.reply(new Replies.Logs("ready\n"));
    });
    assertThat(run("logs", "-f", "a", "--tail", "0")).isZero();
    assertThat(out).isEqualTo("booting\nready\n");
    assertThat(server.lastCall().more()).isTrue();
    assertThat(server.lastCall().parameters().get("tail").asInt()).isZero();
  }

  @Test
  void followStopsWhenNobodyReadsTheOutputAnyMore() throws Exception {
    java.util.concurrent.CountDownLatch hungUp = new java.util.concurrent.CountDownLatch(1);
    server.on("Logs", (call, ex) -> {
      ex.continuing(new Replies.Logs("first\n"));
      if (ex.awaitClientHangUp()) {
        hungUp.countDown();
      }
    });
    // A stdout whose reader is gone: every write fails, as with "stockade logs -f | head -1".
    java.io.OutputStream closedPipe = new java.io.OutputStream() {
      @Override
      public void write(int b) throws java.io.IOException {
        throw new java.io.IOException("Broken pipe");
      }
    };
    int code = Main.run(new String[] {"logs", "-f", "a"}, new PrintStream(closedPipe, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        Map.of("STOCKADE_SOCKET", server.socket().toString()));
    assertThat(code).isZero();
    assertThat(hungUp.await(5, java.util.concurrent.TimeUnit.SECONDS)).as("the CLI hung up the stream").isTrue();
  }

  @Test
  void preflightExitsOneWhenACheckFails() {
    server.replies("Preflight", new Replies.Preflight(List.of(
        new PreflightCheck("kvm", CheckStatus.FAIL, "/dev/kvm hangs", "use kind qemu (TCG)"),
        new PreflightCheck("nft", CheckStatus.OK, "nft 1.0.6", null))));
    assertThat(run("preflight")).isEqualTo(1);
    assertThat(out).contains("kvm    FAIL    /dev/kvm hangs").contains("  kvm: use kind qemu (TCG)");
  }

  @Test
  void runCreatesStartsFollowsAndDestroys() {
    server.replies("Create", new Replies.Sandbox(sb("r1", SandboxState.CREATED)));
    server.replies("Start", new Replies.Sandbox(sb("r1", SandboxState.RUNNING)));
    server.on("Logs", (call, ex) -> {
      ex.continuing(new Replies.Logs("hello from the guest\n"));
      ex.reply(new Replies.Logs(""));
    });
    SandboxInfo ended = new SandboxInfo("r1", "n", io.stockade.client.SandboxKind.PROCESS, 0, SandboxState.STOPPED,
        "exited", 3, null, 1, 256, List.of(), List.of(), java.time.Instant.EPOCH, null, null, null, null, null);
    server.replies("Get", new Replies.Sandbox(ended));
    server.replies("Destroy", new Replies.Sandbox(ended.withState(SandboxState.DESTROYED, null)));
    assertThat(run("run", "--kind", "process", "--", "/bin/sh", "-c", "exit 3")).isEqualTo(3);
    assertThat(out).isEqualTo("hello from the guest\n");
    assertThat(server.calls()).extracting(VarlinkCall::methodName).containsExactly("Create", "Start", "Logs", "Get", "Destroy");
  }

  @Test
  void runDestroysWhenStartFails() {
    server.replies("Create", new Replies.Sandbox(sb("r2", SandboxState.CREATED)));
    server.fails("Start", new LaunchFailedException("r2", "jail", "cgroup write failed", ""));
    server.replies("Destroy", new Replies.Sandbox(sb("r2", SandboxState.DESTROYED)));
    assertThat(run("run", "--image", "default")).isEqualTo(7);
    assertThat(server.calls()).extracting(VarlinkCall::methodName).containsExactly("Create", "Start", "Destroy");
  }

  @Test
  void versionNeedsNoSocket() {
    assertThat(runWithEnv(Map.of("STOCKADE_SOCKET", Path.of("/nonexistent").toString()), "--version")).isZero();
    assertThat(out).contains("protocol 1");
  }
}
