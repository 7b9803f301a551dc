package io.stockade.supervisor.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SupervisorConfigTest {
  @TempDir Path dir;

  private Path write(String json) throws Exception {
    Path f = dir.resolve("stockade.json");
    Files.writeString(f, json);
    return f;
  }

  @Test
  void defaultsWhenTheDefaultFileIsAbsent() throws Exception {
    SupervisorConfig c = SupervisorConfig.load(null, Map.of(), Map.of());
    if (!Files.exists(SupervisorConfig.DEFAULT_FILE)) {
      assertThat(c.path("socketPath")).isEqualTo(Path.of("/run/stockade/stockade.sock"));
      assertThat(c.value("socketPath").origin()).isEqualTo(SupervisorConfig.Origin.DEFAULT);
    }
  }

  @Test
  void fileThenEnvThenFlagWithOrigins() throws Exception {
    Path f = write("{\"stateDir\": \"/srv/state\", \"stop\": {\"gracefulSeconds\": 3}, \"socketPath\": \"/srv/a.sock\"}");
    SupervisorConfig c = SupervisorConfig.load(f, Map.of("STOCKADE_SOCKET", "/srv/env.sock", "STOCKADE_POLICY_DIR", "/srv/policy"),
        Map.of("stop.termSeconds", "7"));
    assertThat(c.path("stateDir")).isEqualTo(Path.of("/srv/state"));
    assertThat(c.value("stateDir").source()).isEqualTo("file " + f);
    assertThat(c.seconds("stop.gracefulSeconds").toSeconds()).isEqualTo(3);
    assertThat(c.path("socketPath")).isEqualTo(Path.of("/srv/env.sock"));
    assertThat(c.value("socketPath").origin()).isEqualTo(SupervisorConfig.Origin.ENV);
    assertThat(c.path("policyDir")).isEqualTo(Path.of("/srv/policy"));
    assertThat(c.integer("stop.termSeconds")).isEqualTo(7);
    assertThat(c.value("stop.termSeconds").origin()).isEqualTo(SupervisorConfig.Origin.FLAG);
    String printed = c.print();
    assertThat(printed).contains("stateDir").contains("\"/srv/state\"").contains("# file " + f);
    assertThat(printed).contains("# env STOCKADE_SOCKET").contains("# flag").contains("# default");
  }

  @Test
  void unknownKeyNamesFileAndPointer() throws Exception {
    Path f = write("{\"stop\": {\"gracefullSeconds\": 3}}");
    assertThatThrownBy(() -> SupervisorConfig.load(f, Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(f.toString())
        .hasMessageContaining("/stop/gracefullSeconds");
    Path g = write("{\"vmm\": {\"qemu\": \"/usr/bin/qemu-system-x86_64\", \"crosvm\": \"/x\"}}");
    assertThatThrownBy(() -> SupervisorConfig.load(g, Map.of(), Map.of())).hasMessageContaining("/vmm/crosvm");
  }

  @Test
  void wrongTypesAndValuesAreNamed() throws Exception {
    assertThatThrownBy(() -> SupervisorConfig.load(write("{\"api\": {\"maxConnections\": \"many\"}}"), Map.of(), Map.of()))
        .hasMessageContaining("/api/maxConnections").hasMessageContaining("integer");
    assertThatThrownBy(() -> SupervisorConfig.load(write("{\"stateDir\": \"relative\"}"), Map.of(), Map.of()))
        .hasMessageContaining("/stateDir").hasMessageContaining("absolute");
    assertThatThrownBy(() -> SupervisorConfig.load(write("{\"monitor\": {\"listen\": \"0.0.0.0:9100\"}}"), Map.of(), Map.of()))
        .hasMessageContaining("loopback");
    assertThatThrownBy(() -> SupervisorConfig.load(write("{\"stateDir\": \"/a\", \"stateDir\": \"/b\"}"), Map.of(), Map.of()))
        .hasMessageContaining("stateDir");
    assertThatThrownBy(() -> SupervisorConfig.load(write("{\"stateDir\": "), Map.of(), Map.of()))
        .hasMessageContaining("not valid JSON at line 1");
    assertThatThrownBy(() -> SupervisorConfig.load(write("{}"), Map.of("STOCKADE_DRAIN_SECONDS", "soon"), Map.of()))
        .hasMessageContaining("STOCKADE_DRAIN_SECONDS");
    assertThatThrownBy(() -> SupervisorConfig.load(write("{}"), Map.of(), Map.of("nope", "1")))
        .hasMessageContaining("unknown config key 'nope'");
    assertThatThrownBy(() -> SupervisorConfig.load(dir.resolve("missing.json"), Map.of(), Map.of()))
        .hasMessageContaining("missing.json").hasMessageContaining("no such file");
    assertThatThrownBy(() -> SupervisorConfig.load(write("{\"defaults\": {\"cpus\": \"2-\"}}"), Map.of(), Map.of()))
        .hasMessageContaining("/defaults/cpus").hasMessageContaining("not a CPU number");
    assertThatThrownBy(() -> SupervisorConfig.load(write("{\"defaults\": {\"netBytesPerSec\": 10}}"), Map.of(), Map.of()))
        .hasMessageContaining("/defaults/netBytesPerSec").hasMessageContaining("from 1500 to 4294967295");
    assertThatThrownBy(() -> SupervisorConfig.load(write("{\"defaults\": {\"pids\": -3}}"), Map.of(), Map.of()))
        .hasMessageContaining("/defaults/pids").hasMessageContaining("non-negative");
  }
}
