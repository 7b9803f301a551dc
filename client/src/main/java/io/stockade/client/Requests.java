package io.stockade.client;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Objects;

/**
 * The parameters of every {@code io.stockade.Supervisor} method, one record per shape. Field names
 * are the wire names; {@link SupervisorMethod} says which method takes which record. Wherever a
 * request names a sandbox, {@code id} accepts its id or its name.
 */
public final class Requests {
  private Requests() {}

  /** Methods without parameters (Ping, Preflight, List). */
  public record None() {}

  /** Create. */
  public record Create(SandboxSpec spec) {
    public Create {
      Objects.requireNonNull(spec, "spec");
    }
  }

  /** Start, Kill, Destroy, Get, Pause, Resume. */
  public record ById(String id) {
    public ById {
      requireId(id);
    }
  }

  /**
   * Stop.
   *
   * @param timeoutSeconds how long a graceful stop waits before it kills; null for the server's
   *     default (its {@code stop.gracefulSeconds}, 10 as shipped)
   * @param graceful ask the guest to power off first (default); false kills at once
   */
  public record Stop(String id, Integer timeoutSeconds, boolean graceful) {
    public Stop {
      requireId(id);
      if (timeoutSeconds != null && timeoutSeconds < 0) {
        throw new IllegalArgumentException("timeoutSeconds must not be negative");
      }
    }

    // Absent "graceful" means true, which a primitive component cannot express on its own.
    @JsonCreator
    static Stop fromWire(
        @JsonProperty("id") String id,
        @JsonProperty("timeoutSeconds") Integer timeoutSeconds,
        @JsonProperty("graceful") Boolean graceful) {
      return new Stop(id, timeoutSeconds, graceful == null || graceful);
    }
  }

  /**
   * Logs.
   *
   * @param tail how many of the last lines to send first, default {@value #DEFAULT_TAIL}, at most
   *     {@value #MAX_TAIL}; 0 sends only what arrives from now on (with {@code more})
   */
  public record Logs(String id, int tail) {
    public static final int DEFAULT_TAIL = 100;
    public static final int MAX_TAIL = 100_000;

    public Logs {
      requireId(id);
      if (tail < 0 || tail > MAX_TAIL) {
        throw new IllegalArgumentException("tail must be between 0 and " + MAX_TAIL + ", got " + tail);
      }
    }

    @JsonCreator
    static Logs fromWire(@JsonProperty("id") String id, @JsonProperty("tail") Integer tail) {
      return new Logs(id, tail == null ? DEFAULT_TAIL : tail);
    }
  }

  /** Events: of one sandbox, or of all the caller's when {@code id} is null. */
  public record Events(String id) {}

  /** Snapshot. */
  public record Snapshot(String id, String name) {
    public Snapshot {
      requireId(id);
      Objects.requireNonNull(name, "name");
    }
  }

  /** ListSnapshots: of one sandbox, or all the caller's when {@code id} is null. */
  public record ListSnapshots(String id) {}

  /** Restore: {@code snapshot} is a snapshot id or name; {@code name} names the new sandbox. */
  public record Restore(String snapshot, String name) {
    public Restore {
      Objects.requireNonNull(snapshot, "snapshot");
    }
  }

  /** UpdateEgress: {@code dnsNames} null keeps the current host names. */
  public record UpdateEgress(String id, List<Egress> egress, List<String> dnsNames) {
    public UpdateEgress {
      requireId(id);
      egress = SandboxSpec.copyOf(Objects.requireNonNull(egress, "egress"), "egress");
      dnsNames = dnsNames == null ? null : SandboxSpec.copyOf(dnsNames, "dnsNames");
    }
  }

  private static void requireId(String id) {
    Objects.requireNonNull(id, "id");
    if (id.isEmpty()) {
      throw new IllegalArgumentException("id must not be empty");
    }
  }
}
