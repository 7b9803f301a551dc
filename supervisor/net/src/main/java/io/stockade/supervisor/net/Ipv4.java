package io.stockade.supervisor.net;

/** IPv4 addresses as unsigned 32-bit values in a long; parsing refuses anything but dotted quads. */
final class Ipv4 {
  private Ipv4() {}

  static long parse(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("'" + s + "' is not an IPv4 address");
    }
    long v = 0;
    for (String p : parts) {
      if (!p.matches("\\d{1,3}") || Integer.parseInt(p) > 255) {
        throw new IllegalArgumentException("'" + s + "' is not an IPv4 address");
      }
      v = (v << 8) | Integer.parseInt(p);
    }
    return v;
  }

  static String format(long v) {
    return ((v >> 24) & 0xff) + "." + ((v >> 16) & 0xff) + "." + ((v >> 8) & 0xff) + "." + (v & 0xff);
  }

  /** A CIDR as its first and last address. */
  record Range(long first, long last) {
    boolean contains(long a) {
      return a >= first && a <= last;
    }

    boolean within(Range other) {
      return first >= other.first && last <= other.last;
    }
  }

  /** Parses {@code a.b.c.d/len}; refuses host bits, as the policy's canonical form does. */
  static Range cidr(String s) {
    int slash = s.indexOf('/');
    String addr = slash < 0 ? s : s.substring(0, slash);
    int len = slash < 0 ? 32 : parseLen(s, s.substring(slash + 1));
    long base = parse(addr);
    long size = 1L << (32 - len);
    if ((base & (size - 1)) != 0) {
      throw new IllegalArgumentException("'" + s + "' has host bits set; write "
          + format(base & ~(size - 1) & 0xffffffffL) + "/" + len);
    }
    return new Range(base, base + size - 1);
  }

  private static int parseLen(String s, String len) {
    if (!len.matches("\\d{1,2}") || Integer.parseInt(len) > 32) {
      throw new IllegalArgumentException("'" + s + "' has no valid prefix length");
    }
    return Integer.parseInt(len);
  }

  static boolean isIpv4Literal(String s) {
    try {
      parse(s);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
