package io.stockade.client.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.client.NotFoundException;
import io.stockade.client.Replies;
import io.stockade.client.SandboxState;
import io.stockade.client.ScriptedVarlinkServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the real {@code scripts/stockade} wrapper, and so the shaded jar with its manifest, as a
 * separate process against the scripted varlink server.
 */
@Timeout(120)
class CliScriptIT {
  private ScriptedVarlinkServer server;
  private Path script;

  record Result(int code, String out, String err) {}

  @BeforeEach
  void setUp() throws Exception {
    Path repo = Path.of(System.getProperty("stockade.repoDir", "."));
    script = repo.resolve("scripts/stockade");
    assumeTrue(Files.isExecutable(script), "no executable " + script);
    assumeTrue(Files.isRegularFile(Path.of(System.getProperty("stockade.cliJar", "client/target/stockade-cli.jar"))),
        "shaded CLI jar not built (run mvn package)");
    server = ScriptedVarlinkServer.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private Result stockade(String... args) throws IOException, InterruptedException {
    return run(List.of(), args);
  }

  private Result run(List<String> prefix, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.add(script.toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("STOCKADE_SOCKET", server.socket().toString());
    pb.environment().remove("STOCKADE_JAR");
    Process p = pb.start();
    p.getOutputStream().close();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("stockade " + String.join(" ", args) + " finished").isTrue();
    return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void pingThroughTheWrapper() throws Exception {
    server.replies("Ping", new Replies.Ping("0.1.0", 1));
    Result r = stockade("ping");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("stockade-supervisor 0.1.0, protocol 1 (this client speaks protocol 1)\n");
  }

  @Test
  void aUserWhoMayNotOpenTheSocketIsToldWhy() throws Exception {
    Path setpriv = Path.of("/usr/bin/setpriv");
    assumeTrue(Files.isExecutable(setpriv), "needs setpriv to run the CLI as another user");
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root to switch to user nobody");
    String jar = System.getProperty("stockade.cliJar", "client/target/stockade-cli.jar");
    Process canRead = new ProcessBuilder(setpriv.toString(), "--reuid=65534", "--regid=65534", "--clear-groups",
        "/bin/sh", "-c", "test -r \"$0\" && test -x \"$0\" && test -r \"$1\"", script.toString(), jar).start();
    assumeTrue(canRead.waitFor() == 0, "user nobody cannot read " + script + " or " + jar);
    // The scripted server's directory is mode 0700 and root's: nobody cannot reach the socket.
    Result r = run(List.of(setpriv.toString(), "--reuid=65534", "--regid=65534", "--clear-groups"), "ping");
    assertThat(r.code()).as(r.err()).isEqualTo(3);
    assertThat(r.err()).contains("Permission denied").contains("socket's group");
    assertThat(server.calls()).isEmpty();
  }

  @Test
  void exitCodesSurviveTheWrapper() throws Exception {
    server.fails("Get", new NotFoundException("ghost"));
    server.replies("List", new Replies.SandboxList(List.of(ScriptedVarlinkServer.sandbox("sb-1", SandboxState.RUNNING))));
    assertThat(stockade("get", "ghost").code()).isEqualTo(5);
    Result list = stockade("--json", "ls");
    assertThat(list.code()).isZero();
    assertThat(list.out()).startsWith("{\"sandboxes\":[{\"id\":\"sb-1\"");
    assertThat(stockade("--socket", server.socket().resolveSibling("absent.sock").toString(), "ping").code()).isEqualTo(3);
    assertThat(stockade("bogus").code()).isEqualTo(2);
    assertThat(stockade("--help").out()).contains("Exit codes:");
  }
}
