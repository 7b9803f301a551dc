package io.stockade.supervisor.lifecycle;

import java.util.Optional;

/**
 * Implemented by a driver that may be configured but unable to launch right now (its VMM binary
 * is not installed). Create asks it first, so the caller gets Unsupported naming the path and the
 * fix instead of a sandbox that can only fail at Start.
 */
public interface DriverAvailability {
  /** Why nothing can be launched now (with the operator's remedy), or empty when it can. */
  Optional<String> unavailableReason();
}
