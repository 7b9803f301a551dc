package io.stockade.policy;

/** A request the policy does not allow; the message says which limit or rule refused it. */
public class PolicyDeniedException extends Exception {
  public PolicyDeniedException(String message) {
    super(message);
  }
}
