package io.stockade.policy;

/**
 * A create request that is malformed (a bad CIDR, a backwards port range, a relative program path),
 * as opposed to one the policy refuses: the protocol reports it as InvalidParameter.
 */
public final class InvalidIntentException extends Exception {
  private final String parameter;

  public InvalidIntentException(String parameter, String reason) {
    super(parameter + ": " + reason);
    this.parameter = parameter;
  }

  /** Which part of the request, e.g. {@code egress[2].cidr}. */
  public String parameter() {
    return parameter;
  }
}
