package io.stockade.policy;

/**
 * A request the policy would permit in kind, refused because the subject's quota (sandbox count,
 * total vCPUs or total memory) is used up. Distinct from {@link PolicyDeniedException} because
 * the protocol reports it as a separate error: the caller may retry after destroying a sandbox.
 */
public final class QuotaExceededException extends PolicyDeniedException {
  public QuotaExceededException(String message) {
    super(message);
  }
}
