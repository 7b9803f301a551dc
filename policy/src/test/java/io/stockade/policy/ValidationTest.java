package io.stockade.policy;

import static io.stockade.policy.PolicyFixture.aliceGrant;
import static io.stockade.policy.PolicyFixture.file;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every validation error a policy file can produce: file, JSON pointer and reason. */
class ValidationTest {
  @TempDir Path tmp;

  /** A valid grant with one field replaced: the field's own validation is what fails. */
  private static String qemuWith(String field, String value) {
    java.util.Map<String, String> fields = new java.util.LinkedHashMap<>();
    fields.put("kinds", "['qemu']");
    fields.put("images", "['default']");
    fields.put("maxSandboxes", "2");
    fields.put("maxVcpus", "2");
    fields.put("maxMemoryMiB", "1024");
    fields.put(field, value);
    StringBuilder grant = new StringBuilder("{");
    fields.forEach((k, v) -> grant.append(grant.length() > 1 ? ", '" : "'").append(k).append("': ").append(v));
    return aliceGrant(grant.append('}').toString());
  }

  private static String egress(String rule) {
    return qemuWith("egress", "[" + rule + "]");
  }

  static Stream<Arguments> invalidFiles() {
    String g = "/rules/0/grant";
    return Stream.of(
        // the file itself
        Arguments.of("[]", "", "must be an object, got an array"),
        Arguments.of("{'rules': []}", "/version", "required field is missing"),
        Arguments.of("{'version': 2, 'rules': []}", "/version", "unsupported version 2"),
        Arguments.of("{'version': '1', 'rules': []}", "/version", "must be an integer, got a string"),
        Arguments.of("{'version': 1.0, 'rules': []}", "/version", "must be an integer, got a number"),
        Arguments.of("{'version': 1}", "/rules", "required field is missing"),
        Arguments.of("{'version': 1, 'rules': {}}", "/rules", "must be an array, got an object"),
        Arguments.of("{'version': 1, 'rules': [], 'rule': []}", "/rule", "unknown field 'rule'"),
        Arguments.of("{'version': 1, 'rules': [], 'a/b~c': 1}", "/a~1b~0c", "unknown field 'a/b~c'"),
        Arguments.of("{'version': 1, 'description': 7, 'rules': []}", "/description", "must be a string"),
        // rules and subjects
        Arguments.of(file("3"), "/rules/0", "must be an object, got an integer"),
        Arguments.of(file("{'grant': {'kinds': []}}"), "/rules/0", "must name its subjects"),
        Arguments.of(file("{'users': [], 'groups': []}"), "/rules/0", "at least one subject"),
        Arguments.of(file("{'users': ['alice'], 'user': 'bob'}"), "/rules/0/user", "unknown field 'user'"),
        Arguments.of(file("{'users': 'alice'}"), "/rules/0/users", "must be an array, got a string"),
        Arguments.of(file("{'users': ['mallory']}"), "/rules/0/users/0", "no user named 'mallory'"),
        Arguments.of(file("{'users': [1000]}"), "/rules/0/users/0", "must be a string, got an integer"),
        Arguments.of(file("{'groups': ['nogroup']}"), "/rules/0/groups/0", "no group named 'nogroup'"),
        Arguments.of(file("{'uids': ['1000']}"), "/rules/0/uids/0", "must be a uid"),
        Arguments.of(file("{'uids': [-1]}"), "/rules/0/uids/0", "must be a uid from 0 to 2147483647, got -1"),
        Arguments.of(file("{'uids': [4294967296]}"), "/rules/0/uids/0", "got 4294967296"),
        Arguments.of(file("{'uids': [0]}"), "/rules/0/uids/0", "root, whom policy cannot restrict"),
        Arguments.of(file("{'users': ['root']}"), "/rules/0/users/0", "user root is root"),
        Arguments.of(file("{'users': ['alice', 'alice']}"), "/rules/0/users/1", "user alice (uid 1000) is already named at"),
        Arguments.of(file("{'users': ['alice'], 'uids': [1000]}"), "/rules/0/users/0", "already named at"),
        Arguments.of(file("{'groups': ['ci']}, {'groups': ['ci']}"), "/rules/1/groups/0", "group ci (gid 2000) is already named at"),
        Arguments.of(file("{'users': ['alice'], 'admin': 'yes'}"), "/rules/0/admin", "must be true or false"),
        Arguments.of(file("{'users': ['alice'], 'grant': []}"), g, "must be an object, got an array"),
        // grant fields
        Arguments.of(aliceGrant("{}"), g + "/kinds", "required field is missing"),
        Arguments.of(aliceGrant("{'kinds': [], 'memory': 1}"), g + "/memory", "unknown field 'memory'"),
        Arguments.of(qemuWith("kinds", "['qemu', 'docker']"), g + "/kinds/1", "unknown kind 'docker'"),
        Arguments.of(qemuWith("kinds", "['qemu', 'qemu']"), g + "/kinds/1", "listed twice"),
        Arguments.of(qemuWith("kinds", "[null]"), g + "/kinds/0", "must be a string, got null"),
        Arguments.of(aliceGrant("{'kinds': ['qemu'], 'maxSandboxes': 1, 'maxVcpus': 1, 'maxMemoryMiB': 1}"),
            g + "/images", "a VM kind is granted but no image"),
        Arguments.of(aliceGrant("{'kinds': ['process'], 'maxSandboxes': 1, 'maxVcpus': 1, 'maxMemoryMiB': 1}"),
            g + "/commands", "the process kind is granted but no program"),
        Arguments.of(aliceGrant("{'kinds': ['qemu'], 'images': ['default'], 'maxVcpus': 1, 'maxMemoryMiB': 1}"),
            g + "/maxSandboxes", "required field is missing"),
        Arguments.of(qemuWith("images", "['Default']"), g + "/images/0", "image name 'Default'"),
        Arguments.of(qemuWith("images", "['debian:']"), g + "/images/0", "image version in 'debian:'"),
        Arguments.of(qemuWith("images", "['']"), g + "/images/0", "image name ''"),
        Arguments.of(qemuWith("commands", "['python3']"), g + "/commands/0", "is relative: write the absolute path, e.g. /usr/bin/python3"),
        Arguments.of(qemuWith("commands", "['/usr/bin/../bin/sh']"), g + "/commands/0", "not normalised"),
        Arguments.of(qemuWith("commands", "['/usr//bin/sh']"), g + "/commands/0", "not normalised"),
        Arguments.of(qemuWith("commands", "['/usr/bin/']"), g + "/commands/0", "names a directory"),
        Arguments.of(qemuWith("commands", "['/usr/bin/sh\\u0000x']"), g + "/commands/0", "without NUL"),
        Arguments.of(qemuWith("commands", "['/']"), g + "/commands/0", "names a directory"),
        Arguments.of(qemuWith("maxMemoryMiB", "0"), g + "/maxMemoryMiB", "must be from 1 to 16777216, got 0"),
        Arguments.of(qemuWith("maxMemoryMiB", "-512"), g + "/maxMemoryMiB", "got -512"),
        Arguments.of(qemuWith("maxMemoryMiB", "'1024'"), g + "/maxMemoryMiB", "must be an integer, got a string"),
        Arguments.of(qemuWith("maxMemoryMiB", "1024.5"), g + "/maxMemoryMiB", "must be an integer, got a number"),
        Arguments.of(qemuWith("maxMemoryMiB", "1e3"), g + "/maxMemoryMiB", "must be an integer, got a number"),
        Arguments.of(qemuWith("maxMemoryMiB", "99999999999999999999999999"), g + "/maxMemoryMiB", "got 99999999999999999999999999"),
        Arguments.of(qemuWith("maxVcpus", "1025"), g + "/maxVcpus", "must be from 1 to 1024, got 1025"),
        Arguments.of(qemuWith("maxVcpus", "0"), g + "/maxVcpus", "must be from 1 to 1024, got 0"),
        Arguments.of(qemuWith("maxVcpus", "true"), g + "/maxVcpus", "must be an integer, got a boolean"),
        Arguments.of(qemuWith("maxSandboxes", "0"), g + "/maxSandboxes", "must be from 1 to 100000, got 0"),
        Arguments.of(qemuWith("totalVcpus", "1"), g + "/totalVcpus", "totalVcpus 1 is less than maxVcpus 2"),
        Arguments.of(qemuWith("totalMemoryMiB", "512"), g + "/totalMemoryMiB", "totalMemoryMiB 512 is less than maxMemoryMiB 1024"),
        Arguments.of(qemuWith("dnsNames", "['Example.org']"), g + "/dnsNames/0", "upper-case"),
        Arguments.of(qemuWith("dnsNames", "['example.org.']"), g + "/dnsNames/0", "ends with a dot"),
        Arguments.of(qemuWith("dnsNames", "['exa_mple.org']"), g + "/dnsNames/0", "label 'exa_mple'"),
        Arguments.of(qemuWith("dnsNames", "['-a.org']"), g + "/dnsNames/0", "label '-a'"),
        Arguments.of(qemuWith("dnsNames", "['a..org']"), g + "/dnsNames/0", "label ''"),
        Arguments.of(qemuWith("dnsNames", "['a.*.org']"), g + "/dnsNames/0", "wildcard is allowed only as the whole first label"),
        Arguments.of(qemuWith("dnsNames", "['*example.org']"), g + "/dnsNames/0", "wildcard is allowed only"),
        Arguments.of(qemuWith("dnsNames", "['" + "a".repeat(64) + ".org']"), g + "/dnsNames/0", "1 to 63"),
        Arguments.of(qemuWith("dnsNames", "['" + "a.".repeat(127) + "org']"), g + "/dnsNames/0", "1 to 253 characters"),
        // egress
        Arguments.of(qemuWith("egress", "{}"), g + "/egress", "must be an array, got an object"),
        Arguments.of(egress("'10.0.0.0/8'"), g + "/egress/0", "must be an object, got a string"),
        Arguments.of(egress("{'protocol': 'tcp', 'ports': '443'}"), g + "/egress/0/cidr", "required field is missing"),
        Arguments.of(egress("{'cidr': '10.0.0.0/8', 'ports': '443'}"), g + "/egress/0/protocol", "required field is missing"),
        Arguments.of(egress("{'cidr': '10.0.0.1/8', 'protocol': 'tcp', 'ports': '443'}"), g + "/egress/0/cidr", "host bits set: did you mean 10.0.0.0/8?"),
        Arguments.of(egress("{'cidr': '10.0.0.0/33', 'protocol': 'tcp', 'ports': '443'}"), g + "/egress/0/cidr", "prefix length"),
        Arguments.of(egress("{'cidr': 'example.org', 'protocol': 'tcp', 'ports': '443'}"), g + "/egress/0/cidr", "no prefix length"),
        Arguments.of(egress("{'cidr': '2001:DB8::/32', 'protocol': 'tcp', 'ports': '443'}"), g + "/egress/0/cidr", "not in canonical form: write 2001:db8::/32"),
        Arguments.of(egress("{'cidr': '10.0.0.0/8', 'protocol': 'sctp', 'ports': '443'}"), g + "/egress/0/protocol", "unknown protocol 'sctp'"),
        Arguments.of(egress("{'cidr': '10.0.0.0/8', 'protocol': 'tcp'}"), g + "/egress/0/ports", "required for tcp"),
        Arguments.of(egress("{'cidr': '10.0.0.0/8', 'protocol': 'icmp', 'ports': '1'}"), g + "/egress/0/ports", "icmp has no ports"),
        Arguments.of(egress("{'cidr': '10.0.0.0/8', 'protocol': 'tcp', 'ports': '0'}"), g + "/egress/0/ports", "from 1 to 65535"),
        Arguments.of(egress("{'cidr': '10.0.0.0/8', 'protocol': 'tcp', 'ports': '65536'}"), g + "/egress/0/ports", "from 1 to 65535"),
        Arguments.of(egress("{'cidr': '10.0.0.0/8', 'protocol': 'udp', 'ports': 70000}"), g + "/egress/0/ports", "from 1 to 65535"),
        Arguments.of(egress("{'cidr': '10.0.0.0/8', 'protocol': 'tcp', 'ports': '8100-8000'}"), g + "/egress/0/ports", "backwards: write 8000-8100"),
        Arguments.of(egress("{'cidr': '10.0.0.0/8', 'protocol': 'tcp', 'ports': '80,443'}"), g + "/egress/0/ports", "is not a port"),
        Arguments.of(egress("{'cidr': '10.0.0.0/8', 'protocol': 'tcp', 'ports': '0443'}"), g + "/egress/0/ports", "is not a port"),
        Arguments.of(egress("{'cidr': '10.0.0.0/8', 'protocol': 'tcp', 'ports': '-443'}"), g + "/egress/0/ports", "is not a port"),
        Arguments.of(egress("{'cidr': '10.0.0.0/8', 'protocol': 'tcp', 'ports': 443.0}"), g + "/egress/0/ports", "must be a port or a range"),
        Arguments.of(egress("{'cidr': '10.0.0.0/8', 'protocol': 'tcp', 'ports': '443', 'port': 1}"), g + "/egress/0/port", "unknown field 'port'"),
        Arguments.of(egress("{'cidr': '10.0.0.0/8', 'protocol': 'tcp', 'ports': '443'}, {'cidr': '10.0.0.0/8', 'protocol': 'tcp', 'ports': 443}"),
            g + "/egress/1", "listed twice"));
  }

  @ParameterizedTest(name = "[{index}] {1}: {2}")
  @MethodSource("invalidFiles")
  void reportsFilePointerAndReason(String json, String pointer, String reason) {
    PolicyFixture f = new PolicyFixture(tmp);
    Path file = f.write("10-test.json", json);
    PolicyProblem problem = f.onlyProblem();
    assertThat(problem.file()).isEqualTo(file);
    assertThat(problem.pointer()).isEqualTo(pointer);
    assertThat(problem.reason()).contains(reason);
  }

  @Test
  void duplicateSubjectAcrossFilesNamesBothPlaces() {
    PolicyFixture f = new PolicyFixture(tmp);
    Path first = f.write("10-a.json", file("{'groups': ['dev']}, {'users': ['bob']}"));
    Path second = f.write("20-b.json", file("{'uids': [1001]}"));
    PolicyProblem p = f.onlyProblem();
    assertThat(p.file()).isEqualTo(second);
    assertThat(p.pointer()).isEqualTo("/rules/0/uids/0");
    assertThat(p.reason()).isEqualTo("user bob (uid 1001) is already named at " + first
        + " /rules/1/users/0: a subject may appear in one rule only, merge the two rules");
  }

  @Test
  void reportsEveryProblemOfEveryFileInNameOrder() {
    PolicyFixture f = new PolicyFixture(tmp);
    Path b = f.write("20-b.json", qemuWith("maxVcpus", "0"));
    Path a = f.write("10-a.json", file("{'users': ['nobody-here'], 'grant': {'kinds': ['vmware']}}"));
    PolicyLoadException e = f.loadFails();
    assertThat(e.problems()).extracting(PolicyProblem::file, PolicyProblem::pointer).containsExactly(
        org.assertj.core.groups.Tuple.tuple(a, "/rules/0/users/0"),
        org.assertj.core.groups.Tuple.tuple(a, "/rules/0/grant/kinds/0"),
        org.assertj.core.groups.Tuple.tuple(b, "/rules/0/grant/maxVcpus"));
    assertThat(e.getMessage())
        .startsWith("policy in " + f.dir + " not loaded, 3 problems:\n  " + a + " /rules/0/users/0: ")
        .contains(b + " /rules/0/grant/maxVcpus: must be from 1 to 1024, got 0");
    assertThat(e.directory()).isEqualTo(f.dir);
  }

  @Test
  void acceptsTheFullFormat() throws Exception {
    PolicyFixture f = new PolicyFixture(tmp);
    f.write("10-full.json", """
        {'version': 1, 'description': 'all fields',
         'rules': [
          {'description': 'ci', 'groups': ['ci', 'ops'], 'uids': [4242], 'admin': false,
           'grant': {'kinds': ['process', 'qemu', 'firecracker', 'cloud-hypervisor'],
                     'images': ['default', 'debian:12', '*'], 'commands': ['/usr/bin/python3', '*'],
                     'maxSandboxes': 100000, 'maxVcpus': 1024, 'maxMemoryMiB': 16777216,
                     'totalVcpus': 1048576, 'totalMemoryMiB': 1099511627776,
                     'egress': [{'cidr': '0.0.0.0/0', 'protocol': 'tcp', 'ports': '1-65535'},
                                {'cidr': '::/0', 'protocol': 'udp', 'ports': 53},
                                {'cidr': '192.0.2.0/24', 'protocol': 'icmp'}],
                     'dnsNames': ['*', '*.example.org', 'example.org', 'localhost']}},
          {'users': ['alice'], 'admin': true},
          {'users': ['carol'], 'grant': {'kinds': []}}
         ]}
        """);
    Authorizer a = f.load();
    assertThat(a.grantFor(new Subject(4242, 4242, java.util.Set.of(), "", java.util.Set.of())))
        .hasValueSatisfying(g -> {
          assertThat(g.maxMemoryMiBTotal()).isEqualTo(1L << 40);
          assertThat(g.egress()).contains(new EgressRule("::/0", "udp", 53, 53),
              new EgressRule("192.0.2.0/24", "icmp", 0, 0));
        });
    assertThat(a.isAdmin(f.subject("alice"))).isTrue();
    assertThat(a.grantFor(f.subject("alice"))).hasValue(Rule.NOTHING);
    assertThat(a.grantFor(f.subject("carol")).orElseThrow().kinds()).isEmpty();
  }

  @Test
  void utf8ByteOrderMarkIsAccepted() throws Exception {
    PolicyFixture f = new PolicyFixture(tmp);
    java.nio.file.Files.write(f.dir.resolve("10-bom.json"), ("\uFEFF" + aliceGrant(PolicyFixture.SMALL_QEMU).replace('\'', '"'))
        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(f.load().grantFor(f.subject("alice"))).isPresent();
  }

  @Test
  void totalsDefaultToCountTimesPerSandbox() throws Exception {
    PolicyFixture f = new PolicyFixture(tmp);
    f.write("10.json", aliceGrant(PolicyFixture.SMALL_QEMU));
    Grant g = f.load().grantFor(f.subject("alice")).orElseThrow();
    assertThat(List.of(g.maxVcpusTotal(), g.maxMemoryMiBTotal())).containsExactly(4, 2048L);
  }
}
