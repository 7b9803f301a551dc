package io.stockade.supervisor.jail;

/**
 * A jail could not be built or entered. The message names the step, the path or value and the
 * errno, e.g. {@code pivot_root /var/lib/stockade/jails/ab12/root: EINVAL}.
 */
public class JailException extends Exception {
  private final String step;
  private final int errno;

  public JailException(String step, int errno, String message) {
    super(message);
    this.step = step;
    this.errno = errno;
  }

  public JailException(String step, int errno, String message, Throwable cause) {
    super(message, cause);
    this.step = step;
    this.errno = errno;
  }

  /** The step that failed, as the exec stage or the Java side names it (e.g. "pivot_root"). */
  public String step() {
    return step;
  }

  /** The errno of the failing call, or 0 when no system call failed. */
  public int errno() {
    return errno;
  }
}
