package io.stockade.supervisor.net;

import io.stockade.policy.EgressRule;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * An {@link EgressSpec} turned into the contents of the sandbox table's sets. nftables refuses
 * overlapping elements in a concatenated interval set ({@code ipv4_addr . inet_service}), and
 * policies legitimately overlap (0.0.0.0/0 tcp 443 and 203.0.113.0/24 tcp 400-500), so the rules
 * are cut into disjoint address x port rectangles first.
 *
 * <p>A rule whose range lies inside RFC 1918 space "names it explicitly" and goes to the private
 * sets, which are consulted only for RFC 1918 destinations; all other rules go to the public sets,
 * which RFC 1918 destinations never reach. So 0.0.0.0/0 opens the internet, not the LAN.
 */
record Allowlist(Map<String, List<Element>> sets) {

  /** One set element: an address range and a port range (ports -1 for address-only sets). */
  record Element(long addrFirst, long addrLast, int portFirst, int portLast) {}

  static final List<String> SET_NAMES =
      List.of("allow_tcp", "allow_udp", "allow_icmp", "priv_tcp", "priv_udp", "priv_icmp");

  static final List<Ipv4.Range> RFC1918 =
      List.of(Ipv4.cidr("10.0.0.0/8"), Ipv4.cidr("172.16.0.0/12"), Ipv4.cidr("192.168.0.0/16"));

  private record Rect(Ipv4.Range addr, int portFirst, int portLast) {}

  /**
   * Builds the sets from explicit rules plus addresses pinned from DNS names (which never count as
   * naming private space: a name that resolves to 10.x is refused, against DNS rebinding).
   */
  static Allowlist of(List<EgressRule> rules, List<EgressRule> pinned) throws NetworkException {
    Map<String, List<Rect>> rects = new java.util.LinkedHashMap<>();
    SET_NAMES.forEach(n -> rects.put(n, new ArrayList<>()));
    for (EgressRule rule : rules) {
      add(rects, rule, true);
    }
    for (EgressRule rule : pinned) {
      add(rects, rule, false);
    }
    Map<String, List<Element>> sets = new java.util.LinkedHashMap<>();
    rects.forEach((name, list) -> sets.put(name, disjoint(list)));
    return new Allowlist(sets);
  }

  private static void add(Map<String, List<Rect>> rects, EgressRule rule, boolean mayNamePrivate)
      throws NetworkException {
    if (rule.cidr().contains(":")) {
      throw new NetworkException("validate egress",
          "egress rule " + rule + " names IPv6, which sandboxes do not have (their IPv6 is"
              + " disabled and dropped): remove the rule or use an IPv4 range");
    }
    Ipv4.Range addr;
    try {
      addr = Ipv4.cidr(rule.cidr());
    } catch (IllegalArgumentException e) {
      throw new NetworkException("validate egress", "egress rule " + rule + ": " + e.getMessage());
    }
    String proto = rule.protocol();
    boolean icmp = proto.equals("icmp");
    if (!icmp && !proto.equals("tcp") && !proto.equals("udp")) {
      throw new NetworkException("validate egress",
          "egress rule " + rule + ": protocol must be tcp, udp or icmp");
    }
    if (!icmp && (rule.portFrom() < 1 || rule.portTo() > 65535 || rule.portFrom() > rule.portTo())) {
      throw new NetworkException("validate egress",
          "egress rule " + rule + ": ports must satisfy 1 <= portFrom <= portTo <= 65535");
    }
    boolean priv = mayNamePrivate && RFC1918.stream().anyMatch(addr::within);
    String set = (priv ? "priv_" : "allow_") + proto;
    rects.get(set).add(icmp ? new Rect(addr, -1, -1) : new Rect(addr, rule.portFrom(), rule.portTo()));
  }

  /** Cuts overlapping rectangles into disjoint ones covering the same union. */
  static List<Element> disjoint(List<Rect> rects) {
    TreeSet<Long> cuts = new TreeSet<>();
    for (Rect r : rects) {
      cuts.add(r.addr.first());
      cuts.add(r.addr.last() + 1);
    }
    List<Element> out = new ArrayList<>();
    Long prev = null;
    List<int[]> prevPorts = null;
    long runFirst = 0;
    for (Long cut : cuts) {
      if (prev != null) {
        long segFirst = prev;
        long segLast = cut - 1;
        List<int[]> ports = mergedPorts(rects, segFirst, segLast);
        if (prevPorts != null && !samePorts(prevPorts, ports)) {
          emit(out, runFirst, segFirst - 1, prevPorts);
          prevPorts = null;
        }
        if (prevPorts == null && !ports.isEmpty()) {
          runFirst = segFirst;
          prevPorts = ports;
        }
      }
      prev = cut;
    }
    if (prevPorts != null) {
      emit(out, runFirst, prev - 1, prevPorts);
    }
    return out;
  }

  private static void emit(List<Element> out, long first, long last, List<int[]> ports) {
    for (int[] p : ports) {
      out.add(new Element(first, last, p[0], p[1]));
    }
  }

  private static List<int[]> mergedPorts(List<Rect> rects, long first, long last) {
    List<int[]> ranges = new ArrayList<>();
    for (Rect r : rects) {
      if (r.addr.first() <= first && r.addr.last() >= last) {
        ranges.add(new int[] {r.portFirst, r.portLast});
      }
    }
    ranges.sort(Comparator.comparingInt(a -> a[0]));
    List<int[]> merged = new ArrayList<>();
    for (int[] r : ranges) {
      int[] top = merged.isEmpty() ? null : merged.get(merged.size() - 1);
      if (top != null && r[0] <= top[1] + 1) {
        top[1] = Math.max(top[1], r[1]);
      } else {
        merged.add(new int[] {r[0], r[1]});
      }
    }
    return merged;
  }

  private static boolean samePorts(List<int[]> a, List<int[]> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i)[0] != b.get(i)[0] || a.get(i)[1] != b.get(i)[1]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether the firewall lets a new packet through, as the sandbox chain decides it (used to pick
   * the conntrack entries to delete after a narrowing). {@code blocked} are the always-blocked
   * ranges.
   */
  boolean allows(String proto, long dst, int dport, List<Ipv4.Range> blocked, long resolver) {
    if ((proto.equals("tcp") || proto.equals("udp")) && (dport == 53 || dport == 853)) {
      return dport == 53 && dst == resolver;
    }
    if (dst == resolver && proto.equals("icmp")) {
      return false;
    }
    if (blocked.stream().anyMatch(r -> r.contains(dst))) {
      return false;
    }
    boolean priv = RFC1918.stream().anyMatch(r -> r.contains(dst));
    List<Element> set = sets.get((priv ? "priv_" : "allow_") + proto);
    if (set == null) {
      return false;
    }
    boolean icmp = proto.equals("icmp");
    return set.stream().anyMatch(e -> dst >= e.addrFirst && dst <= e.addrLast
        && (icmp || (dport >= e.portFirst && dport <= e.portLast)));
  }
}
