package io.stockade.supervisor.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.stockade.policy.EgressRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The cut into disjoint elements keeps exactly the union the rules describe. */
class AllowlistTest {
  private static final List<Ipv4.Range> NOTHING_BLOCKED = List.of();

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 42, 4711})
  void disjointElementsCoverExactlyTheRules(long seed) throws Exception {
    Random r = new Random(seed);
    List<EgressRule> rules = new ArrayList<>();
    String[] nets = {"0.0.0.0/0", "198.51.100.0/24", "198.51.100.128/25", "203.0.113.7/32",
        "10.1.0.0/16", "10.1.2.0/24", "192.0.2.0/24"};
    for (int i = 0; i < 8; i++) {
      int from = 1 + r.nextInt(1000);
      rules.add(new EgressRule(nets[r.nextInt(nets.length)], r.nextBoolean() ? "tcp" : "udp",
          from, from + r.nextInt(300)));
    }
    Allowlist a = Allowlist.of(rules, List.of());
    a.sets().forEach((name, elements) -> {
      for (int i = 0; i < elements.size(); i++) {
        for (int j = i + 1; j < elements.size(); j++) {
          Allowlist.Element x = elements.get(i);
          Allowlist.Element y = elements.get(j);
          boolean overlap = x.addrFirst() <= y.addrLast() && y.addrFirst() <= x.addrLast()
              && x.portFirst() <= y.portLast() && y.portFirst() <= x.portLast();
          assertThat(overlap).as(name + " " + x + " " + y).isFalse();
        }
      }
    });
    String[] probes = {"198.51.100.1", "198.51.100.200", "203.0.113.7", "10.1.2.3", "10.1.9.9",
        "192.0.2.5", "8.8.8.8"};
    for (String dst : probes) {
      for (int port = 1; port < 1400; port += 7) {
        for (String proto : List.of("tcp", "udp")) {
          long d = Ipv4.parse(dst);
          int p = port;
          boolean priv = Allowlist.RFC1918.stream().anyMatch(x -> x.contains(d));
          boolean expected = rules.stream().anyMatch(rule -> rule.protocol().equals(proto)
              && Ipv4.cidr(rule.cidr()).contains(d) && p >= rule.portFrom() && p <= rule.portTo()
              && (!priv || Allowlist.RFC1918.stream().anyMatch(
                  x -> Ipv4.cidr(rule.cidr()).within(x))));
          assertThat(a.allows(proto, d, p, NOTHING_BLOCKED, -1))
              .as(proto + " " + dst + ":" + port).isEqualTo(expected);
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.0/8", "10.1.0.0/16"})
  void privateSpaceOnlyWhenNamed(String cidr) throws Exception {
    Allowlist wide = Allowlist.of(List.of(new EgressRule("0.0.0.0/0", "tcp", 1, 65535)), List.of());
    assertThat(wide.allows("tcp", Ipv4.parse("10.1.2.3"), 80, NOTHING_BLOCKED, -1)).isFalse();
    Allowlist named = Allowlist.of(List.of(new EgressRule(cidr, "tcp", 80, 80)), List.of());
    assertThat(named.allows("tcp", Ipv4.parse("10.1.2.3"), 80, NOTHING_BLOCKED, -1)).isTrue();
    // A name that resolves into private space does not open it (DNS rebinding).
    Allowlist pinned = Allowlist.of(List.of(), List.of(new EgressRule("10.1.2.3/32", "tcp", 80, 80)));
    assertThat(pinned.allows("tcp", Ipv4.parse("10.1.2.3"), 80, NOTHING_BLOCKED, -1)).isFalse();
  }
}
