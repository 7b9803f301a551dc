package io.stockade.supervisor.jail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** A sandbox's resource use as its cgroup reports it; -1 where the host cannot tell. */
public record ResourceUsage(long cpuMicros, long memoryBytes, long pids) {
  public static final ResourceUsage UNKNOWN = new ResourceUsage(-1, -1, -1);

  /** Read from the sandbox's v2 cgroup, else its v1 memory and pids cgroups. */
  static ResourceUsage read(Optional<Path> v2, Optional<Path> memoryV1, Optional<Path> pidsV1) {
    long cpu = v2.map(d -> statField(d.resolve("cpu.stat"), "usage_usec")).orElse(-1L);
    long mem = firstLong(v2.map(d -> d.resolve("memory.current")), memoryV1.map(d -> d.resolve("memory.usage_in_bytes")));
    long pids = firstLong(v2.map(d -> d.resolve("pids.current")), pidsV1.map(d -> d.resolve("pids.current")));
    return new ResourceUsage(cpu, mem, pids);
  }

  private static long firstLong(Optional<Path> a, Optional<Path> b) {
    for (Optional<Path> p : List.of(a, b)) {
      if (p.isPresent()) {
        try {
          return Long.parseLong(Files.readString(p.get()).trim());
        } catch (IOException | NumberFormatException e) {
          // not offered by this hierarchy: try the next
        }
      }
    }
    return -1;
  }

  private static long statField(Path file, String key) {
    try {
      for (String l : Files.readAllLines(file)) {
        if (l.startsWith(key + " ")) {
          return Long.parseLong(l.substring(key.length() + 1).trim());
        }
      }
    } catch (IOException | NumberFormatException e) {
      // the host cannot tell
    }
    return -1;
  }
}
