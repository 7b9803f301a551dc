package io.stockade.client;

/**
 * Resource use so far, from the sandbox's cgroup and its network link.
 *
 * @param cpuMicros CPU time used, microseconds
 * @param memoryBytes memory in use now
 * @param txBytes bytes the sandbox sent
 * @param rxBytes bytes the sandbox received
 */
public record SandboxStats(long cpuMicros, long memoryBytes, long txBytes, long rxBytes) {}
