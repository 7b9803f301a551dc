package io.stockade.client;

import java.time.Instant;
import java.util.Objects;

/**
 * One state change of one sandbox.
 *
 * @param id the sandbox's id
 * @param from the state it left
 * @param to the state it entered
 * @param reason why, when the server knows (failure step, "guest powered off"), else null
 * @param time when
 */
public record SandboxEvent(String id, SandboxState from, SandboxState to, String reason, Instant time) {
  public SandboxEvent {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(time, "time");
  }
}
