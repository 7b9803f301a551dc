package io.stockade.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Watches the guest's console file inside the sandbox's jail from the host, as an operator would
 * with tail -f: the daemon closes its API at SIGTERM, before it drains the guests, so what they
 * print while draining is seen only here. Keeps the longest content read until stopped.
 */
final class ConsoleFileWatcher {
  private final Path file;
  private volatile String seen = "";
  private volatile boolean running = true;
  private final Thread thread;

  private ConsoleFileWatcher(Path file) {
    this.file = file;
    thread = new Thread(this::loop, "stk-e2-console-watch");
    thread.setDaemon(true);
    thread.start();
  }

  /** The file in {@code jailDir} named console.log that holds {@code marker} (the guest's own). */
  static ConsoleFileWatcher find(Path jailDir, String marker) {
    try (Stream<Path> s = Files.walk(jailDir, 4)) {
      List<Path> logs = s.filter(p -> p.getFileName().toString().equals("console.log"))
          .filter(p -> read(p).contains(marker)).toList();
      if (logs.isEmpty()) {
        throw new AssertionError("no console.log holding '" + marker + "' under " + jailDir);
      }
      return new ConsoleFileWatcher(logs.get(0));
    } catch (IOException e) {
      throw new AssertionError("cannot search " + jailDir + ": " + e.getMessage(), e);
    }
  }

  private void loop() {
    while (running) {
      String now = read(file);
      if (now.length() > seen.length()) {
        seen = now;
      }
      SupervisorProcess.sleep(50);
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return "";
    }
  }

  /** Stops watching and returns the most the file ever held. */
  String stop() throws InterruptedException {
    running = false;
    thread.join(2000);
    String last = read(file);
    return last.length() > seen.length() ? last : seen;
  }

  Path file() {
    return file;
  }
}
