package io.stockade.supervisor.lifecycle;

import java.util.List;

/**
 * How a workload ended.
 *
 * @param status exit status, 128+N for signal N, -1 when unknown (it died while the supervisor
 *     was down)
 * @param step what ended it: "exited" (on its own), "shutdown" (guest/program honoured the
 *     shutdown request), "sigterm", "kill", "gone" (found dead at reconcile)
 * @param reason human-readable reason, e.g. "stopped by uid 1000", "supervisor shutdown"
 * @param consoleTail last console lines at the time
 * @param at RFC 3339 time
 */
public record ExitInfo(int status, String step, String reason, List<String> consoleTail, String at) {
  public ExitInfo {
    consoleTail = consoleTail == null ? List.of() : List.copyOf(consoleTail);
  }
}
