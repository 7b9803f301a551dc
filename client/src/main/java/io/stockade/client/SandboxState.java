package io.stockade.client;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** The life of a sandbox. Terminal states: stopped, failed (restartable) and destroyed. */
public enum SandboxState {
  CREATED,
  STARTING,
  RUNNING,
  PAUSED,
  STOPPING,
  STOPPED,
  FAILED,
  DESTROYED;

  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static SandboxState fromWireName(String name) {
    for (SandboxState s : values()) {
      if (s.wireName().equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown sandbox state '" + name + "'");
  }

  /** True when nothing of the sandbox runs: stopped, failed or destroyed. */
  public boolean isEnded() {
    return this == STOPPED || this == FAILED || this == DESTROYED;
  }

  @Override
  public String toString() {
    return wireName();
  }
}
