package io.stockade.supervisor.preflight;

import java.util.List;

final class PreflightHostTestSupport {
  private PreflightHostTestSupport() {}

  static CheckResult named(List<CheckResult> results, String name) {
    return results.stream()
        .filter(c -> c.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no check " + name + " in " + results));
  }

  static CheckResult.Status statusOf(List<CheckResult> results, String name) {
    return named(results, name).status();
  }
}
