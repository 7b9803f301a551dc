package io.stockade.supervisor.lifecycle;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the console of a sandbox that has ended readable until Destroy, across supervisor
 * restarts. The live console file sits in the jail, which is torn down when the workload ends, so
 * at every end the buffered tail (at most {@code consoleLines} lines) is written to
 * {@code sandboxesDir/<id>/console-last.log}; a restart loads it back. The sandbox directory is
 * removed by Destroy, and with it the file.
 */
final class ConsoleArchive {
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleArchive.class);
  static final String FILE = "console-last.log";

  private ConsoleArchive() {}

  /** Writes the buffer's lines atomically (temp file, fsync, rename); failures are logged only. */
  static void save(Sandbox sb) {
    List<String> lines = sb.console.tail(Integer.MAX_VALUE).lines();
    Path target = sb.dir.resolve(FILE);
    Path tmp = sb.dir.resolve(FILE + ".tmp");
    try {
      Files.write(tmp, lines, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      LOG.warn("sandbox {}: cannot keep its console in {}: {} (Logs shows it until the supervisor restarts)",
          sb.id, target, e.toString());
    }
  }

  /** Fills the (empty, new) buffer of a sandbox that is not running from its kept console. */
  static void load(Sandbox sb) {
    Path file = sb.dir.resolve(FILE);
    if (Files.isRegularFile(file)) {
      try {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          sb.console.addLine(line);
        }
      } catch (IOException e) {
        LOG.warn("sandbox {}: cannot read its kept console {}: {}", sb.id, file, e.toString());
      }
    }
    sb.console.close();
  }
}
