package io.stockade.supervisor.net;

import io.stockade.policy.RateLimit;

/**
 * The rate limits the network accepts (docs/network.md, "Rate limits"): callers such as the
 * daemon can check server defaults and policy caps with {@link #check} when they load them, rather
 * than learn at the first attach. A field at 0 does not limit and is always accepted.
 */
public final class RateBounds {
  /**
   * One full-size Ethernet frame per second. Below that a full-size packet waits more than a
   * second for its tokens; such a value is far more likely a unit mistake (kbit/s, KB/s).
   */
  public static final long MIN_BYTES_PER_SECOND = 1_500;
  /** The burst (= rate) goes to the kernel as a 32-bit number; nft truncates larger ones. */
  public static final long MAX_BYTES_PER_SECOND = 0xFFFF_FFFFL;
  /** A TCP connection (handshake, request, answer, teardown) alone takes about ten packets. */
  public static final long MIN_PACKETS_PER_SECOND = 10;
  /**
   * The kernel charges floor(1e9 / rate) ns per packet: exact to 1 % up to here, and more than any
   * one guest NIC forwards through a namespace on this kind of host.
   */
  public static final long MAX_PACKETS_PER_SECOND = 10_000_000;

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
