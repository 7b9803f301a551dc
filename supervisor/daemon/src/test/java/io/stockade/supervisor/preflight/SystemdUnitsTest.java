package io.stockade.supervisor.preflight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/systemd units pass `systemd-analyze verify` without a single warning (it exits 0 on
 * unknown keys and unparsable values, so the output is checked too), and agree with preflight.
 */
class SystemdUnitsTest {
  static final Path ANALYZE = Path.of("/usr/bin/systemd-analyze");

  @TempDir Path tmp;

  private Commands.Result verify(Path... units) {
    List<String> argv = new ArrayList<>(List.of(ANALYZE.toString(), "verify", "--man=no"));
    for (Path u : units) {
      argv.add(u.toString());
    }
    return Commands.run(Duration.ofSeconds(60), argv);
  }

  /** Copies the units with ExecStart pointing at a binary that exists here. */
  private Path[] staged(String serviceExtra) throws Exception {
    Path systemd = ScriptsSupport.repo().resolve("scripts/systemd");
    String service =
        Files.readString(systemd.resolve("stockade.service"))
            .replace("ExecStart=/usr/libexec/stockade/stockade-supervisor run", "ExecStart=/bin/true run");
    assertThat(service).contains("ExecStart=/bin/true run");
    Path s = Files.writeString(tmp.resolve("stockade.service"), service + serviceExtra);
    Path k = Files.copy(systemd.resolve("stockade.socket"), tmp.resolve("stockade.socket"));
    Path dropin = Files.createDirectories(tmp.resolve("stockade.service.d"));
    Files.copy(systemd.resolve("dedicated-user.conf"), dropin.resolve("dedicated-user.conf"));
    return new Path[] {s, k};
  }

  @Test
  void unitsVerifyWithoutWarnings() throws Exception {
    assumeTrue(Files.isExecutable(ANALYZE), "systemd-analyze missing (apt-get install systemd)");
    Commands.Result r = verify(staged(""));
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output().lines().filter(l -> l.contains("stockade")).toList()).as(r.output()).isEmpty();
  }

  @Test
  void verifyCatchesABadLineSoTheTestAboveMeansSomething() throws Exception {
    assumeTrue(Files.isExecutable(ANALYZE), "systemd-analyze missing");
    Commands.Result r = verify(staged("[Service]\nKillMode=sometimes\n"));
    assertThat(r.output()).contains("stockade.service").contains("sometimes");
  }

  @Test
  void boundingSetAndAmbientSetAreExactlyWhatPreflightAsksFor() throws Exception {
    Path systemd = ScriptsSupport.repo().resolve("scripts/systemd");
    List<String> needed = CapabilityChecks.NEEDED.stream().map(CapabilityChecks.Needed::name).toList();
    assertThat(capabilities(systemd.resolve("stockade.service"), "CapabilityBoundingSet="))
        .containsExactlyInAnyOrderElementsOf(needed);
    assertThat(capabilities(systemd.resolve("dedicated-user.conf"), "AmbientCapabilities="))
        .containsExactlyInAnyOrderElementsOf(needed);
  }

  @Test
  void socketIsWhereTheDaemonAndClientsLookWithTheAgreedModes() throws Exception {
    String socket = Files.readString(ScriptsSupport.repo().resolve("scripts/systemd/stockade.socket"));
    assertThat(socket)
        .contains("ListenStream=/run/stockade/stockade.sock\n")
        .contains("SocketMode=0660\n")
        .contains("SocketGroup=stockade\n");
  }

  private static List<String> capabilities(Path unit, String key) throws Exception {
    return Files.readAllLines(unit).stream()
        .filter(l -> l.startsWith(key))
        .flatMap(l -> List.of(l.substring(key.length()).trim().split("\\s+")).stream())
        .toList();
  }

  @Test
  void tmpfilesCreatesTheRunDirectoryForGroupStockade() throws Exception {
    Path tmpfiles = Path.of("/usr/bin/systemd-tmpfiles");
    assumeTrue(Files.isExecutable(tmpfiles), "systemd-tmpfiles missing");
    // A staging root with its own group file: systemd-tmpfiles --root resolves names there.
    Path root = Files.createDirectories(tmp.resolve("stk-op-root"));
    Files.createDirectories(root.resolve("etc/tmpfiles.d"));
    Files.createDirectories(root.resolve("run"));
    Files.writeString(root.resolve("etc/group"), "root:x:0:\nstockade:x:4242:\n");
    Files.writeString(root.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
    Path conf = Files.copy(ScriptsSupport.repo().resolve("scripts/systemd/stockade-tmpfiles.conf"),
        root.resolve("etc/tmpfiles.d/stockade.conf"));
    Commands.Result r = Commands.run(Duration.ofSeconds(30),
        List.of(tmpfiles.toString(), "--root=" + root, "--create", conf.toString()));
    assertThat(r.exitCode()).as(r.output()).isZero();
    Path run = root.resolve("run/stockade");
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(run)))
        .isEqualTo("rwxr-x---");
    assertThat(Files.getAttribute(run, "unix:gid")).isEqualTo(4242);
    assertThat(Files.getAttribute(run, "unix:uid")).isEqualTo(0);
  }
}
