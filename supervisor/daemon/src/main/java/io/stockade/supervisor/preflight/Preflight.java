package io.stockade.supervisor.preflight;

/**
 * Proves the host can run sandboxes. Implemented by the preflight checks in this package; the
 * daemon runs it at start (refusing to start on a fatal failure), for `stockade-supervisor
 * preflight`, and for the Preflight API call.
 */
public final class Preflight {
  private Preflight() {}

  /** Runs every check. Never throws for a failed check: failures are results. */
  public static PreflightReport run(PreflightInputs inputs) {
    throw new UnsupportedOperationException("preflight checks not built yet");
  }
}
