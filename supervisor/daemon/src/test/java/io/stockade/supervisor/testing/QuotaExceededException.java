package io.stockade.supervisor.testing;

import io.stockade.policy.PolicyDeniedException;

/** The test policy's quota refusal (the policy module has its own of the same name). */
public final class QuotaExceededException extends PolicyDeniedException {
  public QuotaExceededException(String message) {
    super(message);
  }
}
