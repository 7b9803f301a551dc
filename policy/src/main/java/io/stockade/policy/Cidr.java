package io.stockade.policy;

import java.util.Arrays;

/**
 * An IPv4 or IPv6 network: an address with no host bits set and a prefix length.
 *
 * <p>Parsed by hand, never through {@link java.net.InetAddress#getByName}, so that a malformed
 * value can never turn into a DNS lookup, and so that ambiguous spellings are refused: IPv4 parts
 * with leading zeros (read as octal by some tools), zone ids, missing prefixes. IPv4 and IPv6 are
 * separate families: {@code ::ffff:10.0.0.0/104} does not contain, and is not contained by,
 * {@code 10.0.0.0/8}.
 */
public final class Cidr {
  private final byte[] address;
  private final int prefixLength;

  private Cidr(byte[] address, int prefixLength) {
    this.address = address;
    this.prefixLength = prefixLength;
  }

  /**
   * Parses {@code address/prefix}.
   *
   * @throws IllegalArgumentException with the reason (and the corrected value when only host bits
   *     are wrong)
   */
  public static Cidr parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("empty CIDR: write an address and a prefix, e.g. 10.0.0.0/8");
    }
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException(
          "CIDR '" + text + "' has no prefix length: write e.g. " + text + "/32 or " + text + "/128");
    }
    String addressText = text.substring(0, slash);
    byte[] address = addressText.indexOf(':') >= 0 ? parseIpv6(addressText) : parseIpv4(addressText);
    if (address == null) {
      throw new IllegalArgumentException("'" + text + "' is not an IPv4 or IPv6 address with a prefix");
    }
    int bits = address.length * 8;
    int prefix = parseDecimal(text.substring(slash + 1), bits);
    if (prefix < 0) {
      throw new IllegalArgumentException(
          "prefix length of '" + text + "' must be a number from 0 to " + bits);
    }
    byte[] masked = mask(address, prefix);
    if (!Arrays.equals(masked, address)) {
      throw new IllegalArgumentException(
          "CIDR '" + text + "' has host bits set: did you mean " + new Cidr(masked, prefix) + "?");
    }
    return new Cidr(address, prefix);
  }

  /** True when this network contains every address of {@code other} (same family only). */
  public boolean contains(Cidr other) {
    if (other.address.length != address.length || other.prefixLength < prefixLength) {
      return false;
    }
    return Arrays.equals(mask(other.address, prefixLength), address);
  }

  /** True when the address is in this network (same family only; no IPv4-mapped translation). */
  public boolean contains(java.net.InetAddress address) {
    byte[] bytes = address.getAddress();
    return bytes.length == this.address.length && Arrays.equals(mask(bytes, prefixLength), this.address);
  }

  public boolean isIpv6() {
    return address.length == 16;
  }

  public int prefixLength() {
    return prefixLength;
  }

  /** The network address in network byte order (4 or 16 bytes); a copy. */
  public byte[] networkAddress() {
    return address.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefixLength == prefixLength && Arrays.equals(c.address, address);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(address) * 31 + prefixLength;
  }

  /** Canonical form: dotted quad, or RFC 5952 compressed lower-case IPv6, then {@code /prefix}. */
  @Override
  public String toString() {
    return (isIpv6() ? formatIpv6(address) : formatIpv4(address)) + "/" + prefixLength;
  }

  private static byte[] mask(byte[] address, int prefix) {
    byte[] out = address.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - i * 8));
      out[i] = (byte) (out[i] & (0xff00 >> keep));
    }
    return out;
  }

  /** A decimal without sign or leading zeros, at most {@code max}; -1 when it is not one. */
  private static int parseDecimal(String s, int max) {
    if (s.isEmpty() || s.length() > 3 || (s.length() > 1 && s.charAt(0) == '0')) {
      return -1;
    }
    int value = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value <= max ? value : -1;
  }

  private static byte[] parseIpv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    byte[] out = new byte[4];
    for (int i = 0; i < 4; i++) {
      int v = parseDecimal(parts[i], 255);
      if (v < 0) {
        return null;
      }
      out[i] = (byte) v;
    }
    return out;
  }

  private static byte[] parseIpv6(String s) {
    int embeddedV4 = s.lastIndexOf(':') < s.lastIndexOf('.') ? 1 : 0;
    byte[] tail = null;
    String groupsText = s;
    if (embeddedV4 == 1) {
      int cut = s.lastIndexOf(':');
      tail = parseIpv4(s.substring(cut + 1));
      if (tail == null) {
        return null;
      }
      groupsText = s.substring(0, cut + 1) + "0:0"; // placeholder groups, overwritten below
    }
    int gap = groupsText.indexOf("::");
    if (gap >= 0 && groupsText.indexOf("::", gap + 1) >= 0) {
      return null;
    }
    String[] head = splitGroups(gap >= 0 ? groupsText.substring(0, gap) : groupsText);
    String[] rest = gap >= 0 ? splitGroups(groupsText.substring(gap + 2)) : new String[0];
    if (head == null || rest == null) {
      return null;
    }
    int given = head.length + rest.length;
    if ((gap < 0 && given != 8) || (gap >= 0 && given > 7)) {
      return null;
    }
    byte[] out = new byte[16];
    if (!putGroups(head, out, 0) || !putGroups(rest, out, 16 - rest.length * 2)) {
      return null;
    }
    if (tail != null) {
      System.arraycopy(tail, 0, out, 12, 4);
    }
    return out;
  }

  private static String[] splitGroups(String s) {
    if (s.isEmpty()) {
      return new String[0];
    }
    String[] groups = s.split(":", -1);
    for (String g : groups) {
      if (g.isEmpty() || g.length() > 4) {
        return null;
      }
    }
    return groups;
  }

  private static boolean putGroups(String[] groups, byte[] out, int offset) {
    for (int i = 0; i < groups.length; i++) {
      int v = 0;
      for (char c : groups[i].toCharArray()) {
        int d = Character.digit(c, 16);
        if (d < 0 || c > 'f') { // Character.digit also accepts full-width digits
          return false;
        }
        v = v * 16 + d;
      }
      out[offset + i * 2] = (byte) (v >> 8);
      out[offset + i * 2 + 1] = (byte) v;
    }
    return true;
  }

  private static String formatIpv4(byte[] a) {
    return (a[0] & 0xff) + "." + (a[1] & 0xff) + "." + (a[2] & 0xff) + "." + (a[3] & 0xff);
  }

  private static String formatIpv6(byte[] a) {
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = ((a[i * 2] & 0xff) << 8) | (a[i * 2 + 1] & 0xff);
    }
    // RFC 5952 section 4.2: compress the longest run of two or more zero groups, the first on ties.
    int bestStart = -1;
    int bestLen = 1;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString();
  }
}
