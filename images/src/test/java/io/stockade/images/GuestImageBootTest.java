package io.stockade.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots scripts/build-image's image, resolved through a store from its catalog, with QEMU
 * microvm under TCG (BRIEF's recipe). Skips when qemu or the built image is missing.
 */
class GuestImageBootTest {
  private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path tmp;
  private ResolvedImage image;
  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void killLeftovers() {
    started.forEach(Process::destroyForcibly); // a guest that failed its assertion may still run
  }

  @BeforeEach
  void resolve() throws Exception {
    Path catalog = Path.of(System.getProperty("stockade.imageDir", "out/images/default"), "catalog.json");
    assumeTrue(Files.exists(catalog), "no " + catalog + ": run scripts/build-image");
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")), "qemu-system-x86_64 is not installed");
    try (ImageStore store = ImageStore.open(tmp.resolve("store"), Catalog.load(List.of(catalog)))) {
      image = store.resolve("stockade-default", DownloadProgress.NONE);
    }
  }

  @Test
  void runsTheCommandFromTheKernelCommandLineThenPowersOff() throws Exception {
    String cmd = "echo out-$((6*7)); test -e /sys/class/net/lo && exit 3";
    Guest g = boot("stockade.cmd=" + Base64.getEncoder().encodeToString(cmd.getBytes()));
    assertThat(g.process.waitFor(BOOT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as(g.console()).isTrue();
    assertThat(g.console()).containsSubsequence("STOCKADE-READY", "out-42", "STOCKADE-EXIT 3", "STOCKADE-POWEROFF");
  }

  @Test
  void theConsoleShellTakesTypedCommandsAndTheAcpiPowerButtonPowersOff() throws Exception {
    assumeTrue(!"false".equals(System.getProperty("stockade.slowTests")), "slow tests are off");
    Guest g = boot("");
    g.awaitConsole("STOCKADE-READY");
    g.type("echo typed-$((20+22))\n");
    g.awaitConsole("typed-42");
    g.qmp("{\"execute\":\"system_powerdown\"}");
    assertThat(g.process.waitFor(BOOT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as(g.console()).isTrue();
    assertThat(g.console()).contains("STOCKADE-POWEROFF");
  }

  private Guest boot(String extraArgs) throws IOException {
    Guest g = Guest.boot(image, tmp, extraArgs);
    started.add(g.process);
    return g;
  }

  /** One QEMU process, its console collected from stdout. */
  private static final class Guest {
    final Process process;
    final Path qmpSocket;
    final StringBuffer out = new StringBuffer();

    private Guest(Process process, Path qmpSocket) {
      this.process = process;
      this.qmpSocket = qmpSocket;
      Thread t = new Thread(() -> pump(process.getInputStream()), "stk-im-console");
      t.setDaemon(true);
      t.start();
    }

    static Guest boot(ResolvedImage image, Path dir, String extraArgs) throws IOException {
      Path qmp = dir.resolve("qmp.sock");
      List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-M", "microvm,rtc=on,pit=on",
          "-accel", "tcg", "-m", "256", "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
          "-kernel", image.kernel().toString(), "-initrd", image.initrd().orElseThrow().toString(),
          "-qmp", "unix:" + qmp + ",server=on,wait=off",
          "-append", image.kernelCommandLine() + " tsc_early_khz=" + tscKhz() + " " + extraArgs));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
      return new Guest(p, qmp);
    }

    void type(String text) throws IOException {
      process.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
      process.getOutputStream().flush();
    }

    String console() {
      return out.toString();
    }

    void awaitConsole(String line) throws InterruptedException {
      long deadline = System.nanoTime() + BOOT_TIMEOUT.toNanos();
      while (!console().contains(line)) {
        if (System.nanoTime() > deadline || !process.isAlive()) {
          process.destroyForcibly();
          throw new AssertionError("no '" + line + "' on the console:\n" + console());
        }
        Thread.sleep(50);
      }
    }

    void qmp(String command) throws IOException {
      try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        ch.connect(UnixDomainSocketAddress.of(qmpSocket));
        ch.write(ByteBuffer.wrap(("{\"execute\":\"qmp_capabilities\"}\n" + command + "\n")
            .getBytes(StandardCharsets.UTF_8)));
        ByteBuffer buf = ByteBuffer.allocate(4096);
        StringBuilder replies = new StringBuilder();
        while (replies.chars().filter(c -> c == '\n').count() < 3 && ch.read(buf) > 0) {
          buf.flip();
          replies.append(StandardCharsets.UTF_8.decode(buf));
          buf.clear();
        }
        assertThat(replies.toString()).contains("\"return\"");
      }
    }

    private void pump(InputStream in) {
      byte[] b = new byte[4096];
      try {
        for (int n; (n = in.read(b)) > 0; ) {
          out.append(new String(b, 0, n, StandardCharsets.UTF_8));
        }
      } catch (IOException e) {
        out.append("\n[console read failed: ").append(e).append(']');
      }
    }

    /** The host's TSC rate: without tsc_early_khz= a TCG guest may hang calibrating (BRIEF). */
    private static long tscKhz() throws IOException {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("cpu MHz")) {
          return Math.round(Double.parseDouble(line.substring(line.indexOf(':') + 1).trim()) * 1000);
        }
      }
      return 2_000_000;
    }
  }
}
