package io.stockade.supervisor.jail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Optional step timestamps of launches, for finding where a launch's wall time goes. Enabled by
 * the system property {@code stockade.jail.trace=FILE}: Java appends "ID j.STEP NANOS" lines and
 * passes the file to the exec stage (STOCKADE_EXEC_TRACE), which appends "ID c.STEP NANOS" lines
 * on the same clock (System.nanoTime is CLOCK_MONOTONIC on Linux). Off, it costs one field read.
 */
final class LaunchTrace {
  static final String PROPERTY = "stockade.jail.trace";
  static final String STAGE_ENV = "STOCKADE_EXEC_TRACE";
  private static final Optional<Path> FILE = Optional.ofNullable(System.getProperty(PROPERTY)).map(Path::of);

  private LaunchTrace() {}

  static Optional<Path> file() {
    return FILE;
  }

  static void mark(String sandboxId, String step) {
    if (FILE.isEmpty()) {
      return;
    }
    String line = sandboxId + " j." + step + " " + System.nanoTime() + "\n";
    synchronized (LaunchTrace.class) {
      try {
        Files.writeString(FILE.get(), line, StandardCharsets.US_ASCII, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      } catch (IOException e) {
        // Tracing is a measuring aid: a failed write must not fail a launch.
      }
    }
  }
}
