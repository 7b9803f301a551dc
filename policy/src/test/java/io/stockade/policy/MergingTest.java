package io.stockade.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.stockade.policy.Authorizer.CreateIntent;
import io.stockade.policy.Authorizer.Usage;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How rules combine: a rule naming the user wins outright; group rules merge by union of sets and
 * maximum of limits; refusals name the rule that set the limit.
 */
class MergingTest {
  @TempDir Path tmp;
  PolicyFixture f;
  Path ci;
  Path dev;
  Path users;
  Authorizer a;

  @BeforeEach
  void setUp() throws Exception {
    f = new PolicyFixture(tmp);
    ci = f.write("10-ci.json", PolicyFixture.file("""
        {'groups': ['ci'], 'grant': {'kinds': ['qemu'], 'images': ['default'],
          'maxSandboxes': 2, 'maxVcpus': 2, 'maxMemoryMiB': 1024,
          'egress': [{'cidr': '192.0.2.0/24', 'protocol': 'tcp', 'ports': '443'}],
          'dnsNames': ['*.example.org']}}
        """));
    dev = f.write("20-dev.json", PolicyFixture.file("""
        {'groups': ['dev'], 'admin': true, 'grant': {'kinds': ['process'], 'commands': ['/usr/bin/python3'],
          'maxSandboxes': 5, 'maxVcpus': 1, 'maxMemoryMiB': 4096, 'totalMemoryMiB': 8192,
          'egress': [{'cidr': '198.51.100.0/24', 'protocol': 'udp', 'ports': '53'}]}},
        {'groups': ['ops']}
        """));
    users = f.write("30-users.json", PolicyFixture.file("""
        {'users': ['alice'], 'grant': {'kinds': ['process'], 'commands': ['/bin/sh'],
          'maxSandboxes': 1, 'maxVcpus': 1, 'maxMemoryMiB': 2048}}
        """));
    a = f.load();
  }

  @Test
  void userRuleWinsOverGroupRules() {
    // alice is in ci, but her own rule is all that counts: no qemu.
    Grant g = a.grantFor(f.subject("alice")).orElseThrow();
    assertThat(g).isEqualTo(new Grant(Set.of("process"), Set.of(), 1, 1, 2048, 1, 2048, List.of(), List.of(),
        List.of("/bin/sh")));
    assertThat(a.isAdmin(f.subject("alice"))).isFalse();
    PolicyDeniedException e = catchThrowableOfType(PolicyDeniedException.class, () -> a.checkCreate(
        f.subject("alice"), new CreateIntent("qemu", "default", List.of(), 1, 1, List.of(), List.of()),
        new Usage(0, 0, 0)));
    assertThat(e.getMessage()).isEqualTo("kind qemu is not permitted by the policy for user alice ("
        + users + ") (permitted: process)");
  }

  @Test
  void userRuleMatchesByUidToo() throws Exception {
    Subject aliceByUidOnly = new Subject(1000, 1000, Set.of(1000, 2000), "", Set.of());
    assertThat(a.grantFor(aliceByUidOnly).orElseThrow().commands()).containsExactly("/bin/sh");
  }

  @Test
  void groupRulesMergeByUnionAndMaximum() {
    Grant g = a.grantFor(f.subject("bob")).orElseThrow();
    assertThat(g.kinds()).containsExactlyInAnyOrder("qemu", "process");
    assertThat(g.images()).containsExactly("default");
    assertThat(g.commands()).containsExactly("/usr/bin/python3");
    assertThat(g.maxSandboxes()).isEqualTo(5);
    assertThat(g.maxVcpusPerSandbox()).isEqualTo(2);
    assertThat(g.maxMemoryMiBPerSandbox()).isEqualTo(4096);
    assertThat(g.maxVcpusTotal()).isEqualTo(5); // dev: 5 x 1 beats ci: 2 x 2
    assertThat(g.maxMemoryMiBTotal()).isEqualTo(8192);
    assertThat(g.egress()).containsExactly(new EgressRule("192.0.2.0/24", "tcp", 443, 443),
        new EgressRule("198.51.100.0/24", "udp", 53, 53));
    assertThat(g.dnsNames()).containsExactly("*.example.org");
    assertThat(a.isAdmin(f.subject("bob"))).isTrue();
  }

  @Test
  void refusalNamesTheRuleThatSetTheLimit() {
    Subject bob = f.subject("bob");
    PolicyDeniedException vcpus = catchThrowableOfType(PolicyDeniedException.class, () -> a.checkCreate(bob,
        new CreateIntent("qemu", "default", List.of(), 3, 512, List.of(), List.of()), new Usage(0, 0, 0)));
    assertThat(vcpus.getMessage()).isEqualTo("vcpus 3 exceeds the per-sandbox limit 2 of the policy for group ci (" + ci + ")");
    PolicyDeniedException memory = catchThrowableOfType(PolicyDeniedException.class, () -> a.checkCreate(bob,
        new CreateIntent("qemu", "default", List.of(), 1, 5000, List.of(), List.of()), new Usage(0, 0, 0)));
    assertThat(memory.getMessage()).isEqualTo("memory 5000 MiB exceeds the per-sandbox limit 4096 MiB of the policy for group dev (" + dev + ")");
    PolicyDeniedException image = catchThrowableOfType(PolicyDeniedException.class, () -> a.checkCreate(bob,
        new CreateIntent("qemu", "debian", List.of(), 1, 1, List.of(), List.of()), new Usage(0, 0, 0)));
    assertThat(image.getMessage()).isEqualTo("image debian is not permitted by the policies for group ci (" + ci
        + "), group dev (" + dev + ") (permitted: default)");
  }

  @Test
  void mergedGrantMayCombineWhatNoSingleRuleGranted() throws Exception {
    // Documented consequence of union/maximum: ci's qemu with dev's 4096 MiB per sandbox.
    a.checkCreate(f.subject("bob"), new CreateIntent("qemu", "default", List.of(), 2, 4096, List.of(), List.of()),
        new Usage(0, 0, 0));
  }

  @Test
  void groupWithoutGrantGivesAdminOrNothing() {
    Subject carol = f.subject("carol"); // dev (admin, process) and ops (no grant)
    assertThat(a.grantFor(carol).orElseThrow().kinds()).containsExactly("process");
    assertThat(a.isAdmin(carol)).isTrue();
    Subject opsOnly = new Subject(4000, 4000, Set.of(4000, 2002), "erin", Set.of("ops"));
    assertThat(a.grantFor(opsOnly)).hasValue(Rule.NOTHING);
    assertThat(a.isAdmin(opsOnly)).isFalse();
  }

  @Test
  void primaryGroupCountsEvenIfMissingFromGroups() {
    Subject s = new Subject(4001, 2000, Set.of(), "frank", Set.of());
    assertThat(a.grantFor(s).orElseThrow().kinds()).containsExactly("qemu");
  }

  @Test
  void unnamedSubjectHasNoGrant() {
    assertThat(a.grantFor(f.subject("dave"))).isEmpty();
    assertThat(a.isAdmin(f.subject("dave"))).isFalse();
  }
}
