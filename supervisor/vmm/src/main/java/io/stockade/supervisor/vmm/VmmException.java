package io.stockade.supervisor.vmm;

/**
 * A VMM operation failed. {@link #unsupported()} marks an operation this VMM kind cannot do;
 * {@link #consoleTail()} carries the last console lines when a launch failed.
 */
public class VmmException extends Exception {
  private final boolean unsupported;
  private final String consoleTail;

  public VmmException(String message) {
    this(message, null, false, "");
  }

  public VmmException(String message, Throwable cause) {
    this(message, cause, false, "");
  }

  public VmmException(String message, Throwable cause, boolean unsupported, String consoleTail) {
    super(message, cause);
    this.unsupported = unsupported;
    this.consoleTail = consoleTail == null ? "" : consoleTail;
  }

  public static VmmException unsupported(VmmKind kind, String operation) {
    return new VmmException(
        operation + " is not supported by " + kind.wireName() + " sandboxes", null, true, "");
  }

  public boolean unsupported() {
    return unsupported;
  }

  public String consoleTail() {
    return consoleTail;
  }
}
