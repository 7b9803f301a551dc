package io.stockade.supervisor.lifecycle;

import java.time.Duration;

/**
 * How long each step of a graceful stop may take. A second SIGTERM to the supervisor calls {@link
 * #hurry()}: every stop in progress skips straight to killing.
 */
final class StopBudgets {
  private final Duration graceful;
  private final Duration term;
  private volatile boolean hurried;

  StopBudgets(Duration graceful, Duration term) {
    this.graceful = graceful;
    this.term = term;
  }

  Duration graceful(Duration override) {
    return hurried ? Duration.ZERO : override != null ? override : graceful;
  }

  Duration term() {
    return hurried ? Duration.ZERO : term;
  }

  void hurry() {
    hurried = true;
  }

  boolean hurried() {
    return hurried;
  }
}
