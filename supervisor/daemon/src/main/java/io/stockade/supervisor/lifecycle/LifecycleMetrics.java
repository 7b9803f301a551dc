package io.stockade.supervisor.lifecycle;

import java.time.Duration;

/** What the lifecycle reports for monitoring; {@link #NONE} when monitoring is off. */
public interface LifecycleMetrics {
  LifecycleMetrics NONE =
      new LifecycleMetrics() {
        @Override
        public void launched(String kind, Duration took, boolean ok) {}

        @Override
        public void stopped(String kind, String step, Duration took) {}
      };

  void launched(String kind, Duration took, boolean ok);

  void stopped(String kind, String step, Duration took);
}
