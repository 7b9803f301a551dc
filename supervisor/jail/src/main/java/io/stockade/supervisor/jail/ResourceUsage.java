package io.stockade.supervisor.jail;

/** A sandbox's resource use as its cgroup reports it; -1 where the host cannot tell. */
public record ResourceUsage(long cpuMicros, long memoryBytes, long pids) {
  public static final ResourceUsage UNKNOWN = new ResourceUsage(-1, -1, -1);
}
