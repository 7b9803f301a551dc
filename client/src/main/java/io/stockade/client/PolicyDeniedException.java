package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The policy does not allow what was asked; the reason names the rule or limit. */
public final class PolicyDeniedException extends StockadeException {
  public static final String ERROR_NAME = "io.stockade.Supervisor.PolicyDenied";

  public PolicyDeniedException(String reason) {
    this(reason, null);
  }

  public PolicyDeniedException(String reason, Throwable cause) {
    super(ERROR_NAME, params("reason", reason), "denied by policy: " + reason + " (ask the operator to extend the policy, see docs/policy.md)", cause);
  }

  static PolicyDeniedException fromParameters(ObjectNode p) {
    return new PolicyDeniedException(text(p, "reason"));
  }

  public String reason() {
    return text(parameters(), "reason");
  }
}
