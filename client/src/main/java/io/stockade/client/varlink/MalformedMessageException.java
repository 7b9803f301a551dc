package io.stockade.client.varlink;

import java.util.Optional;

/**
 * A complete frame that is not a valid varlink message: not UTF-8 JSON, not one object, trailing
 * data, duplicate keys, a wrong type, an unknown field, or a parameter a record refuses.
 *
 * <p>{@link #parameter()} names the offending parameter (a dotted path such as {@code spec.vcpus})
 * when the problem is inside the call's parameters, so a server can answer with {@code
 * org.varlink.service.InvalidParameter} rather than hanging up.
 */
public final class MalformedMessageException extends VarlinkProtocolException {
  private final String parameter;

  public MalformedMessageException(String message) {
    this(message, null, null);
  }

  public MalformedMessageException(String message, String parameter, Throwable cause) {
    super(message, cause);
    this.parameter = parameter;
  }

  /** The parameter path the problem is in, when it is in the parameters. */
  public Optional<String> parameter() {
    return Optional.ofNullable(parameter);
  }
}
