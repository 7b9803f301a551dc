package io.stockade.supervisor.preflight;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * State, image and run directories: usable and with room. Nothing is created outside them; inside
 * an existing one, one probe file is written and removed, since access(2) cannot see every way a
 * write fails (a full or read-only filesystem, a quota).
 */
final class StorageChecks {
  static final long WARN_BELOW = 2L << 30;
  static final long FAIL_BELOW = 256L << 20;

  /** @param fatal an unusable directory makes every sandbox impossible */
  record Dir(String name, Path path, String purpose, boolean fatal) {}

  private StorageChecks() {}

  static List<CheckResult> check(PreflightInputs in) {
    List<CheckResult> results = new ArrayList<>();
    for (Dir dir :
        List.of(
            new Dir("state", in.stateDir(), "durable sandbox state", true),
            new Dir("run", in.runDir(), "sockets and jails", true),
            new Dir("images", in.imageDir(), "the image store", false))) {
      results.add(check(dir));
    }
    return results;
  }

  static CheckResult check(Dir dir) {
    String id = "storage." + dir.name();
    Path path = dir.path().toAbsolutePath().normalize();
    Path existing = path;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null || !Files.isDirectory(existing)) {
      return problem(dir, id, path + " (" + dir.purpose() + "): " + existing + " is not a directory", "point the configuration at a directory");
    }
    String state;
    if (existing.equals(path)) {
      String writeError = probeWrite(path);
      if (!writeError.isEmpty()) {
        return problem(dir, id, path + " (" + dir.purpose() + ") not writable: " + writeError,
            "give the supervisor's user write access to " + path + " (StateDirectory=/RuntimeDirectory=/CacheDirectory= in stockade.service create them)");
      }
      state = "writable";
    } else if (Files.isWritable(existing)) {
      state = "missing, will be created under " + existing;
    } else {
      return problem(dir, id, path + " (" + dir.purpose() + ") missing and " + existing + " not writable",
          "create it: `install -d -m 0750 " + path + "`");
    }
    long free;
    try {
      FileStore store = Files.getFileStore(existing);
      free = store.getUsableSpace();
    } catch (IOException e) {
      return problem(dir, id, path + ": free space unknown: " + e.getMessage(), "check the filesystem");
    }
    String found = path + " (" + dir.purpose() + "): " + state + ", " + gib(free) + " free";
    if (free < FAIL_BELOW) {
      return CheckResult.fail(id, found, "free space on " + existing + " (below 256 MiB nothing new can be stored)");
    }
    if (free < WARN_BELOW) {
      return CheckResult.warn(id, found, "free space on " + existing + " (below 2 GiB images and disks soon stop fitting)");
    }
    return CheckResult.ok(id, found);
  }

  private static String probeWrite(Path dir) {
    Path probe = dir.resolve(".stockade-preflight-" + ProcessHandle.current().pid());
    try {
      Files.writeString(probe, "preflight\n");
      return "";
    } catch (IOException e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    } finally {
      try {
        Files.deleteIfExists(probe);
      } catch (IOException e) {
        // Reported by the write above if it matters; a leftover probe file is harmless.
      }
    }
  }

  private static CheckResult problem(Dir dir, String id, String found, String remedy) {
    return dir.fatal() ? CheckResult.fatal(id, found, remedy) : CheckResult.fail(id, found, remedy);
  }

  static String gib(long bytes) {
    return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
  }
}
