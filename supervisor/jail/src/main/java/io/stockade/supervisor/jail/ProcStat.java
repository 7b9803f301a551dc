package io.stockade.supervisor.jail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** Reads /proc/PID/stat: a pid alone is never trusted, pid + start time is. */
final class ProcStat {
  private ProcStat() {}

  /** Field 22 (starttime, clock ticks since boot), if the process exists. */
  static OptionalLong startTime(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // comm (field 2) may hold spaces and parentheses: fields resume after the last ')'
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return OptionalLong.of(Long.parseLong(f[22 - 3]));
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }
}
