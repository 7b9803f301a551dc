package io.stockade.supervisor.preflight;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository (for scripts/), from the build's stockade.repoDir or the working dir. */
final class ScriptsSupport {
  private ScriptsSupport() {}

  static Path repo() {
    Path p = Path.of(System.getProperty("stockade.repoDir", "../..")).toAbsolutePath().normalize();
    if (!Files.isDirectory(p.resolve("scripts/systemd"))) {
      throw new IllegalStateException("no scripts/systemd under " + p + " (set -Dstockade.repoDir)");
    }
    return p;
  }
}
