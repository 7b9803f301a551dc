package io.stockade.policy;

/**
 * A network rate limit on a sandbox's traffic, applied to each direction on its own (what the
 * guest sends, and what it receives). 0 in a field means that field does not limit.
 *
 * @param bytesPerSecond bytes per second in each direction, 0 = not limited
 * @param packetsPerSecond packets per second in each direction, 0 = not limited
 */
public record RateLimit(long bytesPerSecond, long packetsPerSecond) {
  public static final RateLimit NONE = new RateLimit(0, 0);

  public RateLimit {
    if (bytesPerSecond < 0 || packetsPerSecond < 0) {
      throw new IllegalArgumentException("rate limits must be >= 0 (0 = not limited): "
          + bytesPerSecond + " bytes/s, " + packetsPerSecond + " packets/s");
    }
  }

  /** Whether either field limits. */
  public boolean limits() {
    return bytesPerSecond > 0 || packetsPerSecond > 0;
  }

  /**
   * Fills each field left at 0 from {@code fallback}: a request's own limits win, the fallback
   * (a policy's cap, or the server's default) applies where the request set none.
   */
  public RateLimit orElse(RateLimit fallback) {
    return new RateLimit(bytesPerSecond > 0 ? bytesPerSecond : fallback.bytesPerSecond,
        packetsPerSecond > 0 ? packetsPerSecond : fallback.packetsPerSecond);
  }
}
