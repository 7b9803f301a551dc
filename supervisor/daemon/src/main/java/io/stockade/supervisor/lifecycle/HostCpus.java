package io.stockade.supervisor.lifecycle;

import io.stockade.policy.CpuList;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The CPUs this supervisor may run on ({@code Cpus_allowed_list} in /proc/self/status: the CPUs
 * online within its own cpuset and affinity). A sandbox's cgroup is a child of the supervisor's,
 * so it can be pinned only within these.
 */
public final class HostCpus {
  private HostCpus() {}

  /** The usable CPUs, or {@link CpuList#NONE} when the kernel does not say (the jail then decides). */
  public static CpuList usable() {
    return fromStatus(Path.of("/proc/self/status"));
  }

  /**
   * Why {@code cpus} cannot be given on this host ("CPUs 7 are not available on this host (the
   * supervisor may use 0-1)"), or empty when they can or the kernel does not say.
   */
  public static Optional<String> unavailable(CpuList cpus) {
    CpuList usable = usable();
    CpuList missing = cpus.minus(usable);
    if (usable.isEmpty() || missing.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of("CPUs " + missing + " are not available on this host (the supervisor may use " + usable + ")");
  }

  static CpuList fromStatus(Path status) {
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("Cpus_allowed_list:")) {
          return CpuList.parse(line.substring("Cpus_allowed_list:".length()));
        }
      }
    } catch (IOException | IllegalArgumentException e) {
      // unknown: leave the check to the jail, which refuses what the cgroup cannot give
    }
    return CpuList.NONE;
  }
}
