package io.stockade.supervisor.lifecycle;

/** One state change of one sandbox, as the Events stream and the log show it. */
public record SandboxEvent(String id, int ownerUid, SandboxState from, SandboxState to, String reason, String time) {}
