package io.stockade.supervisor.preflight;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scripts/install.sh and uninstall.sh into a staging root: nothing on the host is touched. */
class InstallScriptTest {
  @TempDir Path tmp;
  private Path stage;
  private Path cliJar;
  private Path supervisorJar;

  @BeforeEach
  void jars() throws Exception {
    stage = Files.createDirectory(tmp.resolve("stk-op-stage"));
    cliJar = jar("stockade-cli.jar");
    supervisorJar = jar("stockade-supervisor.jar");
  }

  private Path jar(String name) throws Exception {
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    Path p = tmp.resolve(name);
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(p), m)) {
      out.flush();
    }
    return p;
  }

  private Commands.Result script(String name, String... args) {
    List<String> argv = new ArrayList<>(List.of("bash", ScriptsSupport.repo().resolve("scripts/" + name).toString()));
    argv.addAll(List.of(args));
    return Commands.run(Duration.ofSeconds(60), argv);
  }

  private Commands.Result install(String... extra) {
    List<String> args = new ArrayList<>(List.of("--root", stage.toString(), "--cli-jar", cliJar.toString(), "--supervisor-jar", supervisorJar.toString()));
    args.addAll(List.of(extra));
    return script("install.sh", args.toArray(String[]::new));
  }

  private String mode(String relative) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(stage.resolve(relative)));
  }

  @Test
  void installsEverythingIntoTheStagingRootAndIsIdempotent() throws Exception {
    Commands.Result first = install();
    assertThat(first.exitCode()).as(first.output()).isZero();
    assertThat(first.output()).contains("created " + stage + "/etc/stockade/stockade.json").contains("Next steps");
    assertThat(Files.readAllBytes(stage.resolve("usr/share/stockade/stockade-cli.jar"))).isEqualTo(Files.readAllBytes(cliJar));
    assertThat(mode("usr/share/stockade/stockade-supervisor.jar")).isEqualTo("rw-r--r--");
    assertThat(mode("usr/bin/stockade")).isEqualTo("rwxr-xr-x");
    assertThat(mode("usr/libexec/stockade/stockade-supervisor")).isEqualTo("rwxr-xr-x");
    assertThat(mode("etc/stockade")).isEqualTo("rwxr-xr-x");
    assertThat(mode("etc/stockade/policy.d")).isEqualTo("rwxr-xr-x");
    assertThat(Files.readString(stage.resolve("etc/stockade/stockade.json")).trim()).isEqualTo("{}");
    assertThat(Files.readString(stage.resolve("etc/systemd/system/stockade.service")))
        .contains("ExecStart=/usr/libexec/stockade/stockade-supervisor run\n");
    assertThat(stage.resolve("etc/systemd/system/stockade.socket")).exists();
    assertThat(stage.resolve("etc/tmpfiles.d/stockade.conf")).exists();
    assertThat(stage.resolve("usr/share/doc/stockade/operations.md")).exists();
    assertThat(stage.resolve("etc/systemd/system/stockade.service.d")).doesNotExist();

    // The wrappers pass every argument through to the installed jar (java replaced by echo).
    Commands.Result cli = Commands.run(Duration.ofSeconds(10), List.of("env", "STOCKADE_JAVA=echo",
        stage.resolve("usr/bin/stockade").toString(), "list", "--json", "a b"));
    assertThat(cli.output().trim()).isEqualTo("-jar /usr/share/stockade/stockade-cli.jar list --json a b");
    Commands.Result sup = Commands.run(Duration.ofSeconds(10), List.of("env", "STOCKADE_JAVA=echo",
        stage.resolve("usr/libexec/stockade/stockade-supervisor").toString(), "run"));
    assertThat(sup.output().trim()).isEqualTo("-XX:+ExitOnOutOfMemoryError -jar /usr/share/stockade/stockade-supervisor.jar run");

    Files.writeString(stage.resolve("etc/stockade/stockade.json"), "{\"console\": {\"lines\": 10}}\n");
    Commands.Result second = install("--dedicated-user");
    assertThat(second.exitCode()).as(second.output()).isZero();
    assertThat(second.output()).contains("kept " + stage + "/etc/stockade/stockade.json");
    assertThat(Files.readString(stage.resolve("etc/stockade/stockade.json"))).contains("\"lines\": 10");
    assertThat(Files.readString(stage.resolve("etc/systemd/system/stockade.service.d/dedicated-user.conf")))
        .contains("User=stockade").contains("AmbientCapabilities=CAP_SYS_ADMIN");
    try (var leftovers = Files.walk(stage)) {
      assertThat(leftovers.filter(p -> p.getFileName().toString().startsWith(".stockade-install"))).isEmpty();
    }
  }

  @Test
  void prefixMovesProgramsAndTheUnitFollows() throws Exception {
    Commands.Result r = install("--prefix", "/opt/stockade");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(stage.resolve("opt/stockade/bin/stockade")).exists();
    assertThat(Files.readString(stage.resolve("etc/systemd/system/stockade.service")))
        .contains("ExecStart=/opt/stockade/libexec/stockade/stockade-supervisor run\n")
        .contains("Documentation=file:/opt/stockade/share/doc/stockade/operations.md");
    assertThat(Files.readString(stage.resolve("opt/stockade/bin/stockade")))
        .contains("-jar /opt/stockade/share/stockade/stockade-cli.jar");
  }

  @Test
  void uninstallKeepsConfigurationAndStateUnlessPurged() throws Exception {
    assertThat(install().exitCode()).isZero();
    Files.createDirectories(stage.resolve("var/lib/stockade/state"));
    Commands.Result r = script("uninstall.sh", "--root", stage.toString());
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(stage.resolve("usr/bin/stockade")).doesNotExist();
    assertThat(stage.resolve("usr/share/stockade")).doesNotExist();
    assertThat(stage.resolve("usr/libexec/stockade")).doesNotExist();
    assertThat(stage.resolve("etc/systemd/system/stockade.service")).doesNotExist();
    assertThat(stage.resolve("etc/stockade/stockade.json")).exists();
    assertThat(stage.resolve("var/lib/stockade/state")).exists();
    assertThat(r.output()).contains("kept " + stage + "/etc/stockade (--purge removes it)");

    Commands.Result purge = script("uninstall.sh", "--root", stage.toString(), "--purge");
    assertThat(purge.exitCode()).as(purge.output()).isZero();
    assertThat(stage.resolve("etc/stockade")).doesNotExist();
    assertThat(stage.resolve("var/lib/stockade")).doesNotExist();
    assertThat(stage.resolve("usr")).exists(); // only Stockade's own paths go
  }

  @Test
  void badArgumentsAreRefusedWithTheReason() {
    Commands.Result relative = script("install.sh", "--root", "relative/dir");
    assertThat(relative.exitCode()).isEqualTo(1);
    assertThat(relative.output()).contains("--root must be an absolute path, got 'relative/dir'");
    Commands.Result startStaged = install("--start");
    assertThat(startStaged.exitCode()).isEqualTo(1);
    assertThat(startStaged.output()).contains("--start cannot be combined with --root");
    assertThat(stage.resolve("etc")).doesNotExist();
    Commands.Result missingJar = script("install.sh", "--root", stage.toString(), "--cli-jar", tmp.resolve("nope.jar").toString(), "--supervisor-jar", supervisorJar.toString());
    assertThat(missingJar.exitCode()).isEqualTo(1);
    assertThat(missingJar.output()).contains("missing " + tmp.resolve("nope.jar"));
  }
}
