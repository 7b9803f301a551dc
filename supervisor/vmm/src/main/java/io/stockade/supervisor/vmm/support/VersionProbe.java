package io.stockade.supervisor.vmm.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs {@code <binary> --version} with a timeout and extracts the version number. */
public final class VersionProbe {
  // "Firecracker v1.7.0", "cloud-hypervisor v41.0", "QEMU emulator version 7.2.22 (Debian ...)"
  private static final Pattern VERSION = Pattern.compile("\\bv?(\\d+\\.\\d+(?:\\.\\d+)?)\\b");

  private VersionProbe() {}

  /** Empty when the binary is missing, not executable, hangs or prints no version. */
  public static Optional<String> run(Path binary, Duration timeout) {
    if (!Files.isExecutable(binary)) {
      return Optional.empty();
    }
    Process p = null;
    try {
      p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
      p.getOutputStream().close();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return Optional.empty();
      }
      try (InputStream in = p.getInputStream()) {
        String out = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
        return parse(out);
      }
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } finally {
      if (p != null) {
        p.destroyForcibly();
      }
    }
  }

  /** The first version number on the first line that has one. */
  public static Optional<String> parse(String output) {
    for (String line : output.split("\n")) {
      Matcher m = VERSION.matcher(line);
      if (m.find()) {
        return Optional.of(m.group(1));
      }
    }
    return Optional.empty();
  }
}
