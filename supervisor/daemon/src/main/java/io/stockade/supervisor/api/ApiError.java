package io.stockade.supervisor.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.supervisor.lifecycle.LifecycleException;
import java.util.Map;

/** A typed varlink error reply: fully qualified name and parameters. */
final class ApiError extends Exception {
  static final String IFACE = "io.stockade.Supervisor";
  static final String SERVICE = "org.varlink.service";

  private final String name;
  private final ObjectNode parameters;

  ApiError(String name, ObjectNode parameters, String message) {
    super(message);
    this.name = name;
    this.parameters = parameters;
  }

  String name() {
    return name;
  }

  ObjectNode parameters() {
    return parameters;
  }

  private static ObjectNode obj() {
    return JsonNodeFactory.instance.objectNode();
  }

  static ApiError invalidParameter(String parameter) {
    return new ApiError(SERVICE + ".InvalidParameter", obj().put("parameter", parameter), "invalid parameter " + parameter);
  }

  static ApiError methodNotFound(String method) {
    return new ApiError(SERVICE + ".MethodNotFound", obj().put("method", method), "no method " + method);
  }

  static ApiError interfaceNotFound(String iface) {
    return new ApiError(SERVICE + ".InterfaceNotFound", obj().put("interface", iface), "no interface " + iface);
  }

  static ApiError expectedMore() {
    return new ApiError(SERVICE + ".ExpectedMore", obj(), "this method streams: call it with more");
  }

  static ApiError permissionDenied(String reason) {
    return new ApiError(IFACE + ".PermissionDenied", obj().put("reason", reason), reason);
  }

  /** The message was not a varlink call (bad JSON, wrong field types). */
  static ApiError invalidRequest(String reason) {
    return new ApiError(IFACE + ".InvalidRequest", obj().put("reason", reason), reason);
  }

  static ApiError internal(String reason) {
    return new ApiError(IFACE + ".Internal", obj().put("reason", reason), reason);
  }

  static ApiError of(LifecycleException e) {
    if (e.code() == LifecycleException.Code.INVALID_PARAMETER) {
      // varlink's own error carries only the parameter's name; the reason goes to the log.
      return new ApiError(SERVICE + ".InvalidParameter", obj().put("parameter", String.valueOf(e.details().get("parameter"))).put("reason", e.getMessage()), e.getMessage());
    }
    ObjectNode p = obj();
    for (Map.Entry<String, Object> d : e.details().entrySet()) {
      p.put(d.getKey(), String.valueOf(d.getValue()));
    }
    return new ApiError(IFACE + "." + e.code().errorName(), p, e.getMessage());
  }
}
