package io.stockade.supervisor.preflight;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

final class PreflightHostTestSupport {
  private PreflightHostTestSupport() {}

  static CheckResult named(List<CheckResult> results, String name) {
    return results.stream()
        .filter(c -> c.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no check " + name + " in " + results));
  }

  /** Writes a fake host file, e.g. /proc/self/cgroup, under the injected {@code root}. */
  static void write(Path root, String absolute, String text) throws IOException {
    Path p = new HostRoot(root).resolve(absolute);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
  }

  static CheckResult.Status statusOf(List<CheckResult> results, String name) {
    return named(results, name).status();
  }
}
