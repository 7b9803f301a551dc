package io.stockade.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ConsoleProgressTest {
  @Test
  void aTerminalGetsARedrawnBarEndingInANewline() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    ConsoleProgress p = ConsoleProgress.to(new PrintStream(buf, true, StandardCharsets.UTF_8), true, 5);
    p.update("kernel", 0, 4 * 1048576);
    p.update("kernel", 4 * 1048576, 4 * 1048576);
    String out = buf.toString(StandardCharsets.UTF_8);
    assertThat(out).startsWith("\rkernel [------------------------------]   0% 0.0 MiB / 4.0 MiB");
    assertThat(out).contains("\rkernel [##############################] 100% 4.0 MiB / 4.0 MiB").endsWith("\n");
  }

  @Test
  void elsewhereItPrintsLinesWithRateAndEta() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    ConsoleProgress p = ConsoleProgress.to(new PrintStream(buf, true, StandardCharsets.UTF_8), false, 3600);
    p.update("rootfs", 0, 100 * 1048576);
    p.update("rootfs", 1048576, 100 * 1048576); // within the interval: not printed
    p.update("rootfs", 100 * 1048576, 100 * 1048576);
    String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
    assertThat(lines).hasSize(2);
    assertThat(lines[0]).startsWith("rootfs   0% 0.0 MiB / 100.0 MiB").doesNotContain("[");
    assertThat(lines[1]).matches("rootfs 100% 100\\.0 MiB / 100\\.0 MiB  \\d+\\.\\d MiB/s");
    assertThat(p.render("x", 50, 100, System.nanoTime() + 1_000_000_000L)).contains("ETA 0:");
  }
}
