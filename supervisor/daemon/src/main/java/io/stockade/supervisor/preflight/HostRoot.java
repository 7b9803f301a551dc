package io.stockade.supervisor.preflight;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where preflight reads /proc, /sys and /dev. The real host is "/"; tests point it at a directory
 * holding a fake /proc/self/cgroup, mountinfo and cgroupfs, so the parsing is tested without
 * touching the host's hierarchies.
 */
record HostRoot(Path root) {
  static HostRoot real() {
    return new HostRoot(Path.of("/"));
  }

  /** Resolves an absolute host path (as /proc and mountinfo name them) under this root. */
  Path resolve(String absolute) {
    String relative = absolute.startsWith("/") ? absolute.substring(1) : absolute;
    return relative.isEmpty() ? root : root.resolve(relative);
  }

  /**
   * The whole file, trimmed, or empty when it cannot be read (absent, EACCES, ...). Read through a
   * stream, not Files.readString: /proc/sys files report size 0, so readString reads one byte,
   * then reads again at offset 1, where proc_dointvec answers EOF ("96365" came back as "9").
   */
  Optional<String> read(String absolute) {
    try (InputStream in = Files.newInputStream(resolve(absolute))) {
      return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).trim());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The value of "Key:" in a /proc status-style file, trimmed. */
  Optional<String> field(String absolute, String key) {
    return read(absolute)
        .flatMap(
            text ->
                text.lines()
                    .filter(l -> l.startsWith(key + ":"))
                    .map(l -> l.substring(key.length() + 1).trim())
                    .findFirst());
  }
}
