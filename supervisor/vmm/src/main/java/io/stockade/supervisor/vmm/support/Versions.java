package io.stockade.supervisor.vmm.support;

/** Compares dotted version numbers as VMMs report them ("1.7.0", "v41.0", "1.10.0-dev"). */
public final class Versions {
  private Versions() {}

  /** Whether {@code version} is at least {@code major.minor}; unparsable counts as newest. */
  public static boolean atLeast(String version, int major, int minor) {
    String v = version.strip();
    if (v.startsWith("v") || v.startsWith("V")) {
      v = v.substring(1);
    }
    String[] parts = v.split("[.\\-+ ]");
    try {
      int ma = Integer.parseInt(parts[0]);
      int mi = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
      return ma > major || (ma == major && mi >= minor);
    } catch (NumberFormatException e) {
      return true;
    }
  }
}
