package io.stockade.supervisor.lifecycle;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A lifecycle operation refused or failed. The {@link Code} maps one to one onto the protocol's
 * typed errors; {@link #details()} are that error's parameters.
 */
public final class LifecycleException extends Exception {

  /** Mirrors the errors of the io.stockade.Supervisor interface. */
  public enum Code {
    NOT_FOUND("NotFound"),
    PERMISSION_DENIED("PermissionDenied"),
    POLICY_DENIED("PolicyDenied"),
    QUOTA_EXCEEDED("QuotaExceeded"),
    INVALID_STATE("InvalidState"),
    UNSUPPORTED("Unsupported"),
    LAUNCH_FAILED("LaunchFailed"),
    INVALID_PARAMETER("InvalidParameter"),
    INTERNAL("Internal");

    private final String errorName;

    Code(String errorName) {
      this.errorName = errorName;
    }

    public String errorName() {
      return errorName;
    }
  }

  private final Code code;
  private final Map<String, Object> details;

  private LifecycleException(Code code, String message, Map<String, Object> details, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.details = Map.copyOf(details);
  }

  public Code code() {
    return code;
  }

  /** The error's parameters as the protocol names them. */
  public Map<String, Object> details() {
    return details;
  }

  static LifecycleException notFound(String id) {
    return new LifecycleException(
        Code.NOT_FOUND, "no sandbox '" + id + "' visible to the caller", Map.of("id", id), null);
  }

  static LifecycleException invalidState(String id, SandboxState current, String wanted) {
    return new LifecycleException(
        Code.INVALID_STATE,
        "sandbox " + id + " is " + current.wireName() + ": cannot " + wanted,
        Map.of("id", id, "current", current.wireName(), "wanted", wanted),
        null);
  }

  static LifecycleException policyDenied(String reason) {
    return new LifecycleException(Code.POLICY_DENIED, reason, Map.of("reason", reason), null);
  }

  static LifecycleException quotaExceeded(String reason) {
    return new LifecycleException(Code.QUOTA_EXCEEDED, reason, Map.of("reason", reason), null);
  }

  public static LifecycleException permissionDenied(String reason) {
    return new LifecycleException(Code.PERMISSION_DENIED, reason, Map.of("reason", reason), null);
  }

  static LifecycleException unsupported(String reason) {
    return new LifecycleException(Code.UNSUPPORTED, reason, Map.of("reason", reason), null);
  }

  static LifecycleException invalidParameter(String parameter, String reason) {
    return new LifecycleException(
        Code.INVALID_PARAMETER, parameter + ": " + reason, Map.of("parameter", parameter), null);
  }

  static LifecycleException launchFailed(String id, String step, String reason, String consoleTail, Throwable cause) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("id", id);
    d.put("step", step);
    d.put("reason", reason);
    d.put("consoleTail", consoleTail);
    return new LifecycleException(
        Code.LAUNCH_FAILED, "sandbox " + id + " failed at " + step + ": " + reason, d, cause);
  }

  static LifecycleException internal(String reason, Throwable cause) {
    return new LifecycleException(Code.INTERNAL, reason, Map.of("reason", reason), cause);
  }
}
