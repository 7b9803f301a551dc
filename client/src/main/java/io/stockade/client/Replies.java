package io.stockade.client;

import java.util.List;
import java.util.Objects;

/**
 * The return values of every {@code io.stockade.Supervisor} method, one record per shape. Field
 * names are the wire names; {@link SupervisorMethod} says which method returns which record.
 */
public final class Replies {
  private Replies() {}

  /** Ping: the server's version and the protocol version it speaks. */
  public record Ping(String version, int protocolVersion) {
    public Ping {
      Objects.requireNonNull(version, "version");
    }
  }

  /** Preflight. */
  public record Preflight(List<PreflightCheck> checks) {
    public Preflight {
      checks = SandboxSpec.copyOf(checks, "checks");
    }
  }

  /** Create, Start, Stop, Kill, Destroy, Get, Pause, Resume, Restore, UpdateEgress. */
  public record Sandbox(SandboxInfo sandbox) {
    public Sandbox {
      Objects.requireNonNull(sandbox, "sandbox");
    }
  }

  /** List. */
  public record SandboxList(List<SandboxInfo> sandboxes) {
    public SandboxList {
      sandboxes = SandboxSpec.copyOf(sandboxes, "sandboxes");
    }
  }

  /** Logs: one chunk of console output. */
  public record Logs(String data) {
    public Logs {
      data = data == null ? "" : data;
    }
  }

  /** Events: one state change. */
  public record Event(SandboxEvent event) {
    public Event {
      Objects.requireNonNull(event, "event");
    }
  }

  /** Snapshot. */
  public record Snapshot(SnapshotInfo snapshot) {
    public Snapshot {
      Objects.requireNonNull(snapshot, "snapshot");
    }
  }

  /** ListSnapshots. */
  public record SnapshotList(List<SnapshotInfo> snapshots) {
    public SnapshotList {
      snapshots = SandboxSpec.copyOf(snapshots, "snapshots");
    }
  }
}
