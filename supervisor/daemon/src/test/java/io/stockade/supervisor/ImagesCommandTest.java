package io.stockade.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.stockade.supervisor.config.SupervisorConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator's image commands, on a real store and a catalog with a file:// image. */
class ImagesCommandTest {
  @TempDir Path tmp;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int images(SupervisorConfig c, String... words) throws Exception {
    out.reset();
    err.reset();
    return ImagesCommand.run(List.of(words), c, false, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private SupervisorConfig config(String kernelSha) throws Exception {
    byte[] kernel = new byte[300_000];
    new Random(7).nextBytes(kernel);
    Path k = Files.write(tmp.resolve("vmlinuz"), kernel);
    String sha = kernelSha != null ? kernelSha : HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(kernel));
    Path catalog = Files.writeString(tmp.resolve("catalog.json"), "{\"catalogVersion\": 1, \"images\": [{\"name\": \"tiny\","
        + " \"version\": \"1\", \"kernel\": {\"urls\": [\"" + k.toUri() + "\"], \"size\": " + kernel.length
        + ", \"sha256\": \"" + sha + "\"}, \"kernelCommandLine\": \"console=ttyS0\", \"vmmKinds\": [\"qemu\"],"
        + " \"readyLine\": \"READY\"}]}");
    return SupervisorConfig.load(null, Map.of(),
        Map.of("imageDir", tmp.resolve("store").toString(), "catalogFiles", catalog.toString()));
  }

  @Test
  void pullListRemoveGc() throws Exception {
    SupervisorConfig c = config(null);
    assertThat(images(c, "pull", "tiny")).as(err()).isZero();
    assertThat(out()).contains("pulled tiny:1 (verified: kernel)");
    assertThat(images(c, "list")).isZero();
    assertThat(out()).containsPattern("tiny\\s+1\\s+0\\s+complete\\s+-");
    assertThat(images(c, "remove", "tiny")).as(err()).isZero();
    assertThat(out()).contains("removed tiny: 1 blob(s)");
    assertThat(images(c, "gc")).isZero();
    assertThat(out()).startsWith("gc: 0 blob(s)");
    assertThat(images(c, "list")).isZero();
    assertThat(out()).doesNotContain("tiny");
  }

  @Test
  void aCorruptDownloadIsAnErrorAndNothingIsStored() throws Exception {
    SupervisorConfig c = config("0".repeat(64));
    assertThat(images(c, "pull", "tiny")).isEqualTo(1);
    assertThat(err()).contains("images pull:").containsIgnoringCase("sha");
    assertThat(images(c, "list")).isZero();
    assertThat(out()).doesNotContainPattern("tiny\\s+1\\s+\\d+\\s+complete");
  }

  @Test
  void usageErrorsExitTwo() throws Exception {
    SupervisorConfig c = config(null);
    assertThat(images(c)).isEqualTo(2);
    assertThat(images(c, "pull")).isEqualTo(2);
    assertThat(err()).contains("wrong number of arguments");
    assertThat(images(c, "frobnicate")).isEqualTo(2);
    assertThat(err()).contains("unknown images command 'frobnicate'");
    assertThat(images(c, "pull", "../etc/passwd")).isEqualTo(1);
  }
}
