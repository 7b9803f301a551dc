package io.stockade.supervisor.api;

/** Counts API calls for monitoring. */
public interface ApiMetrics {
  ApiMetrics NONE = (method, error) -> {};

  /** One call finished; {@code error} is the error name, or null on success. */
  void call(String method, String error);
}
