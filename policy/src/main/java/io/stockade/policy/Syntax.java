package io.stockade.policy;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The value grammars shared by policy files and create requests. Each check returns null when
 * the value is valid, else the reason, so callers attach their own location (a JSON pointer in a
 * policy file, a parameter name in a request).
 */
final class Syntax {
  static final Set<String> KINDS = Set.of("process", "qemu", "firecracker", "cloud-hypervisor");
  static final Set<String> PROTOCOLS = Set.of("tcp", "udp", "icmp");
  static final int MAX_VCPUS = 1024;
  /** virtio-mmio slots are few; 16 extra disks is far beyond any sane sandbox. */
  static final int MAX_DATA_DISKS = 16;
  /** The kernel's PID_MAX_LIMIT on 64-bit: no pids.max above it means anything. */
  static final long MAX_PIDS = 4L * 1024 * 1024;
  /**
   * RLIMIT_NOFILE: below 16 a dynamically linked program hardly starts; above fs.nr_open's
   * default (1048576) the kernel refuses the limit.
   */
  static final long MIN_OPEN_FILES = 16;
  static final long MAX_OPEN_FILES = 1_048_576;
  /** Network rates: the network's own ranges (their reasons are in {@link RateLimit}). */
  static final long MIN_NET_BYTES_PER_SEC = RateLimit.MIN_BYTES_PER_SECOND;
  static final long MAX_NET_BYTES_PER_SEC = RateLimit.MAX_BYTES_PER_SECOND;
  static final long MIN_NET_PACKETS_PER_SEC = RateLimit.MIN_PACKETS_PER_SECOND;
  static final long MAX_NET_PACKETS_PER_SEC = RateLimit.MAX_PACKETS_PER_SECOND;
  /** 1 TiB/s: beyond any disk, small enough to be plainly a typo above it. */
  static final long MAX_IO_BYTES_PER_SEC = 1L << 40;
  /** 16 TiB: qcow2 is sparse, but a larger disk is certainly a typo. */
  static final long MAX_DATA_DISK_MIB = 16L * 1024 * 1024;
  /** 16 TiB: larger than any host this runs on, small enough that sums of limits never overflow. */
  static final long MAX_MEMORY_MIB = 16L * 1024 * 1024;

  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  // The image store's grammar (io.stockade.images.Names), so policy can name every real image.
  private static final Pattern IMAGE_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  private static final Pattern IMAGE_VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,127}");

  private Syntax() {}

  static String kind(String kind) {
    return KINDS.contains(kind)
        ? null
        : "unknown kind '" + kind + "': expected one of process, qemu, firecracker, cloud-hypervisor";
  }

  /** A host name (lower-case labels, at most 253 characters, no trailing dot). */
  static String hostName(String name) {
    if (name.isEmpty() || name.length() > 253) {
      return "host name must have 1 to 253 characters, got " + name.length();
    }
    if (name.endsWith(".")) {
      return "host name '" + name + "' ends with a dot: write it without the trailing dot";
    }
    if (!name.equals(name.toLowerCase(Locale.ROOT))) {
      return "host name '" + name + "' has upper-case letters: write it in lower case";
    }
    for (String label : name.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return "'" + name + "' is not a host name: label '" + label
            + "' must be 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'";
      }
    }
    return null;
  }

  /** A DNS pattern: a host name, {@code *.suffix}, or {@code *} (any name). */
  static String dnsPattern(String pattern) {
    if (pattern.equals("*")) {
      return null;
    }
    if (pattern.startsWith("*.")) {
      return hostName(pattern.substring(2));
    }
    if (pattern.indexOf('*') >= 0) {
      return "'" + pattern + "': a wildcard is allowed only as the whole first label, as in *.example.org";
    }
    return hostName(pattern);
  }

  /** True when every name {@code requested} stands for is also matched by {@code allowed}. */
  static boolean dnsCovers(String allowed, String requested) {
    if (allowed.equals("*") || allowed.equals(requested)) {
      return true;
    }
    return allowed.startsWith("*.") && requested.endsWith(allowed.substring(1));
  }

  /** An image reference: {@code name} or {@code name:version}; {@code *} only if allowed. */
  static String imageRef(String ref, boolean starAllowed) {
    if (ref.equals("*")) {
      return starAllowed ? null : "'*' is not an image: name one image";
    }
    int colon = ref.indexOf(':');
    String name = colon < 0 ? ref : ref.substring(0, colon);
    if (!IMAGE_NAME.matcher(name).matches()) {
      return "image name '" + name
          + "' must be 1 to 64 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit";
    }
    if (colon >= 0 && !IMAGE_VERSION.matcher(ref.substring(colon + 1)).matches()) {
      return "image version in '" + ref
          + "' must be 1 to 128 of A-Z, a-z, 0-9, '.', '_', '+' and '-', starting with a letter or digit";
    }
    return null;
  }

  /** Policy entry "name" allows every version of name; "name:version" exactly that one. */
  static boolean imageCovers(String allowed, String requested) {
    if (allowed.equals("*") || allowed.equals(requested)) {
      return true;
    }
    return allowed.indexOf(':') < 0 && requested.startsWith(allowed + ":");
  }

  /** An absolute, normalised program path (no ".", "..", "//", trailing "/", NUL). */
  static String commandPath(String path, boolean starAllowed) {
    if (path.equals("*")) {
      return starAllowed ? null : "'*' is not a program path";
    }
    if (!path.startsWith("/")) {
      return "program path '" + path + "' is relative: write the absolute path, e.g. /usr/bin/"
          + path;
    }
    if (path.length() > 4096 || path.indexOf('\0') >= 0) {
      return "program path must be at most 4096 characters without NUL";
    }
    if (path.equals("/") || path.endsWith("/")) {
      return "program path '" + path + "' names a directory, not a program";
    }
    for (String part : path.substring(1).split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        return "program path '" + path + "' is not normalised (empty, '.' or '..' component): "
            + "write it as the plain absolute path";
      }
    }
    return null;
  }

  /** Reasons an egress rule is malformed; null when it is a valid rule in canonical form. */
  static String egressRule(EgressRule rule) {
    Cidr cidr;
    try {
      cidr = Cidr.parse(rule.cidr());
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    if (!cidr.toString().equals(rule.cidr())) {
      return "CIDR '" + rule.cidr() + "' is not in canonical form: write " + cidr;
    }
    if (!PROTOCOLS.contains(rule.protocol())) {
      return "unknown protocol '" + rule.protocol() + "': expected tcp, udp or icmp";
    }
    if (rule.protocol().equals("icmp")) {
      return rule.portFrom() == 0 && rule.portTo() == 0 ? null : "icmp has no ports: use 0 and 0";
    }
    return ports(rule.portFrom(), rule.portTo());
  }

  static String ports(int from, int to) {
    if (from < 1 || from > 65535 || to < 1 || to > 65535) {
      return "ports must be from 1 to 65535, got " + from + "-" + to;
    }
    return from <= to ? null : "port range " + from + "-" + to + " is backwards: write " + to + "-" + from;
  }

  /** True when {@code permitted} allows everything {@code requested} asks for. */
  static boolean egressCovers(EgressRule permitted, EgressRule requested) {
    return permitted.protocol().equals(requested.protocol())
        && permitted.portFrom() <= requested.portFrom()
        && requested.portTo() <= permitted.portTo()
        && Cidr.parse(permitted.cidr()).contains(Cidr.parse(requested.cidr()));
  }
}
