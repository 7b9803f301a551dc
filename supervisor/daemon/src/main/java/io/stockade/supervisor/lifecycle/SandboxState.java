package io.stockade.supervisor.lifecycle;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The life of a sandbox. Every change goes through {@link #canMoveTo}, so an operation in the
 * wrong state fails with {@link LifecycleException.Code#INVALID_STATE} naming the current state.
 *
 * <pre>
 *   created --start--> starting --ready--> running <--pause/resume--> paused
 *      |                  |                  |  \______________________/ |
 *      |               (launch              stop/kill/exit         stop/kill/exit
 *      |                failed)              |                          |
 *      |                  v                  v                          v
 *      |                failed <---------- stopping ----------------> stopped
 *      |                  |   (exit on its own: running/paused -> stopped | failed)
 *      +---destroy--------+------ start again / destroy ------------------+--> destroyed
 * </pre>
 */
public enum SandboxState {
  CREATED,
  STARTING,
  RUNNING,
  PAUSED,
  STOPPING,
  STOPPED,
  FAILED,
  DESTROYED;

  private Set<SandboxState> next() {
    switch (this) {
      case CREATED:
        return EnumSet.of(STARTING, DESTROYED);
      case STARTING:
        return EnumSet.of(RUNNING, FAILED);
      case RUNNING:
        return EnumSet.of(PAUSED, STOPPING, STOPPED, FAILED);
      case PAUSED:
        return EnumSet.of(RUNNING, STOPPING, STOPPED, FAILED);
      case STOPPING:
        return EnumSet.of(STOPPED, FAILED);
      case STOPPED:
      case FAILED:
        return EnumSet.of(STARTING, DESTROYED);
      default:
        return EnumSet.noneOf(SandboxState.class);
    }
  }

  public boolean canMoveTo(SandboxState target) {
    return next().contains(target);
  }

  /** True while a workload process exists (or may exist). */
  public boolean isLive() {
    return this == STARTING || this == RUNNING || this == PAUSED || this == STOPPING;
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static SandboxState fromWireName(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT));
  }
}
