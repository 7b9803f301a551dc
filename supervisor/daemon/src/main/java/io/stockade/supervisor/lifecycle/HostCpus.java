package io.stockade.supervisor.lifecycle;

import io.stockade.policy.CpuList;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
