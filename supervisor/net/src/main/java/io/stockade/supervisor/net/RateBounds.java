package io.stockade.supervisor.net;

import io.stockade.policy.RateLimit;

/**
 * The rate limits the network accepts (docs/network.md, "Rate limits"): callers such as the
 * daemon can check server defaults and policy caps with {@link #check} when they load them, rather
 * than learn at the first attach. A field at 0 does not limit and is always accepted.
 */
public final class RateBounds {
  // The ranges and their reasons live with RateLimit, so policy and daemon check the same ones.
  public static final long MIN_BYTES_PER_SECOND = RateLimit.MIN_BYTES_PER_SECOND;
  public static final long MAX_BYTES_PER_SECOND = RateLimit.MAX_BYTES_PER_SECOND;
  public static final long MIN_PACKETS_PER_SECOND = RateLimit.MIN_PACKETS_PER_SECOND;
  public static final long MAX_PACKETS_PER_SECOND = RateLimit.MAX_PACKETS_PER_SECOND;

  private RateBounds() {}

  /**
   * Refuses values nft would reject, truncate or make meaningless: a {@link NetworkException}
   * with step {@code validate rate limit} naming the field, the value and the allowed range.
   */
  public static void check(RateLimit rate) throws NetworkException {
    check("bytesPerSecond", rate.bytesPerSecond(), MIN_BYTES_PER_SECOND, MAX_BYTES_PER_SECOND,
        "bytes");
    check("packetsPerSecond", rate.packetsPerSecond(), MIN_PACKETS_PER_SECOND,
        MAX_PACKETS_PER_SECOND, "packets");
  }

  private static void check(String field, long value, long min, long max, String unit)
      throws NetworkException {
    if (value != 0 && (value < min || value > max)) {
      throw new NetworkException("validate rate limit", "rate limit " + field + " " + value
          + " is outside " + min + ".." + max + " " + unit + "/s (0 = not limited): correct the"
          + " sandbox's request or the policy's default/cap (the limit applies to each direction"
          + " on its own)");
    }
  }
}
