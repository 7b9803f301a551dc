package io.stockade.policy;

import java.util.BitSet;

/**
 * A set of CPU numbers in the kernel's list format ({@code 0-3,6}, as in cpuset.cpus and
 * /sys/devices/system/cpu/online). Used for the CPUs a policy lets a subject's sandboxes run on,
 * the CPUs a request pins a sandbox to, and what the jail writes to the sandbox's cpuset. Parsing
 * is strict (no blanks inside, ranges ascending, numbers below {@link #LIMIT}) so nothing a client
 * sends reaches a cgroup file other than the canonical form this class prints.
 */
public final class CpuList {
  /** CPU numbers must be below this (the kernel's default NR_CPUS on x86-64 is 8192). */
  public static final int LIMIT = 8192;

  /** No CPUs named: "not pinned" where a list is optional. */
  public static final CpuList NONE = new CpuList(new BitSet());

  private final BitSet cpus;

  private CpuList(BitSet cpus) {
    this.cpus = cpus;
  }

  /**
   * Parses the kernel's list format. A null or blank text is {@link #NONE}.
   *
   * @throws IllegalArgumentException naming the part that is wrong
   */
  public static CpuList parse(String text) {
    if (text == null || text.isBlank()) {
      return NONE;
    }
    String t = text.strip();
    BitSet set = new BitSet();
    for (String part : t.split(",", -1)) {
      int dash = part.indexOf('-');
      int from = number(part.substring(0, dash < 0 ? part.length() : dash), text);
      int to = dash < 0 ? from : number(part.substring(dash + 1), text);
      if (to < from) {
        throw new IllegalArgumentException("CPU list \"" + text + "\": range " + part
            + " runs backwards (write it low-high, e.g. 0-3)");
      }
      set.set(from, to + 1);
    }
    return new CpuList(set);
  }

  private static int number(String s, String whole) {
    if (s.isEmpty() || s.length() > 5 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException("CPU list \"" + whole + "\": \"" + s
          + "\" is not a CPU number (the format is like 0-3,6)");
    }
    int n = Integer.parseInt(s);
    if (n >= LIMIT) {
      throw new IllegalArgumentException("CPU list \"" + whole + "\": CPU " + n + " is beyond "
          + (LIMIT - 1));
    }
    return n;
  }

  /** The list of the given CPU numbers. */
  public static CpuList of(int... numbers) {
    BitSet set = new BitSet();
    for (int n : numbers) {
      if (n < 0 || n >= LIMIT) {
        throw new IllegalArgumentException("CPU " + n + " is out of range 0.." + (LIMIT - 1));
      }
      set.set(n);
    }
    return new CpuList(set);
  }

  public boolean isEmpty() {
    return cpus.isEmpty();
  }

  /** How many CPUs it names. */
  public int size() {
    return cpus.cardinality();
  }

  public boolean contains(int cpu) {
    return cpu >= 0 && cpus.get(cpu);
  }

  /** Whether every CPU of {@code other} is in this list. */
  public boolean containsAll(CpuList other) {
    return other.minus(this).isEmpty();
  }

  /** The CPUs of this list that are not in {@code other}. */
  public CpuList minus(CpuList other) {
    BitSet b = (BitSet) cpus.clone();
    b.andNot(other.cpus);
    return new CpuList(b);
  }

  /** The CPUs in both lists. */
  public CpuList intersect(CpuList other) {
    BitSet b = (BitSet) cpus.clone();
    b.and(other.cpus);
    return new CpuList(b);
  }

  /** The canonical list format: ascending, ranges merged ("0-2,5"); "" for none. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (int i = cpus.nextSetBit(0); i >= 0; ) {
      int end = cpus.nextClearBit(i) - 1;
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(i);
      if (end > i) {
        sb.append('-').append(end);
      }
      i = cpus.nextSetBit(end + 1);
    }
    return sb.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CpuList c && c.cpus.equals(cpus);
  }

  @Override
  public int hashCode() {
    return cpus.hashCode();
  }
}
