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

  // The ranges a non-zero field must lie in, wherever a rate is accepted (request, policy cap,
  // server default, the network itself), so nothing passes one check and fails the next.
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
