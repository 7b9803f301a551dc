package io.stockade.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.stockade.policy.Authorizer.CreateIntent;
import io.stockade.policy.Authorizer.Usage;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** checkCreate against one user's policy: every limit, containment edges, quota arithmetic. */
class CheckCreateTest {
  static final String ALICE = """
      {'version': 1, 'rules': [{'users': ['alice'], 'grant': {
        'kinds': ['process', 'qemu'], 'images': ['default', 'debian:12', 'ubuntu'],
        'commands': ['/usr/bin/python3'],
        'maxSandboxes': 3, 'maxVcpus': 2, 'maxMemoryMiB': 2048, 'totalVcpus': 4, 'totalMemoryMiB': 4096,
        'egress': [{'cidr': '10.0.0.0/8', 'protocol': 'tcp', 'ports': '443'},
                   {'cidr': '192.0.2.0/24', 'protocol': 'tcp', 'ports': '8000-8100'},
                   {'cidr': '2001:db8::/32', 'protocol': 'udp', 'ports': '53'},
                   {'cidr': '198.51.100.0/24', 'protocol': 'icmp'}],
        'dnsNames': ['example.org', '*.example.net']}}]}
      """;
  static final Usage NONE = new Usage(0, 0, 0);

  @TempDir Path tmp;
  PolicyFixture f;
  Path file;
  Authorizer authorizer;

  @BeforeEach
  void setUp() throws Exception {
    f = new PolicyFixture(tmp);
    file = f.write("10-ci.json", ALICE);
    authorizer = f.load();
  }

  static CreateIntent vm(String image, int vcpus, long memory) {
    return new CreateIntent("qemu", image, List.of(), vcpus, memory, List.of(), List.of());
  }

  static CreateIntent egress(String cidr, String protocol, int from, int to) {
    return new CreateIntent("qemu", "default", List.of(), 1, 256,
        List.of(new EgressRule(cidr, protocol, from, to)), List.of());
  }

  static CreateIntent dns(String... names) {
    return new CreateIntent("qemu", "default", List.of(), 1, 256, List.of(), List.of(names));
  }

  static CreateIntent process(String program) {
    return new CreateIntent("process", "", List.of(program, "-c", "print(1)"), 1, 256, List.of(), List.of());
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("small vm", vm("default", 1, 512), NONE, "ok"),
        Arguments.of("versioned image", vm("debian:12", 1, 512), NONE, "ok"),
        Arguments.of("other version", vm("debian:11", 1, 512), NONE, "denied:image debian:11 is not permitted by the policy for user alice"),
        Arguments.of("unversioned when only a version is allowed", vm("debian", 1, 512), NONE, "denied:image debian is not permitted"),
        Arguments.of("any version of a bare name", vm("ubuntu:24.04", 1, 512), NONE, "ok"),
        Arguments.of("bare name", vm("ubuntu", 1, 512), NONE, "ok"),
        Arguments.of("prefix of a name is not the name", vm("ubuntu-minimal", 1, 512), NONE, "denied:image ubuntu-minimal"),
        Arguments.of("kind", new CreateIntent("firecracker", "default", List.of(), 1, 1, List.of(), List.of()), NONE,
            "denied:kind firecracker is not permitted by the policy for user alice (FILE) (permitted: process, qemu)"),
        Arguments.of("allowed program", process("/usr/bin/python3"), NONE, "ok"),
        Arguments.of("other program", process("/bin/sh"), NONE,
            "denied:program /bin/sh is not permitted by the policy for user alice (FILE) (permitted: /usr/bin/python3)"),
        Arguments.of("vcpus at the limit", vm("default", 2, 512), NONE, "ok"),
        Arguments.of("vcpus over", vm("default", 3, 512), NONE,
            "denied:vcpus 3 exceeds the per-sandbox limit 2 of the policy for user alice (FILE)"),
        Arguments.of("memory at the limit", vm("default", 1, 2048), NONE, "ok"),
        Arguments.of("memory over", vm("default", 1, 4096), NONE,
            "denied:memory 4096 MiB exceeds the per-sandbox limit 2048 MiB of the policy for user alice (FILE)"),
        Arguments.of("egress equal", egress("10.0.0.0/8", "tcp", 443, 443), NONE, "ok"),
        Arguments.of("egress narrower", egress("10.1.0.0/16", "tcp", 443, 443), NONE, "ok"),
        Arguments.of("egress /32", egress("10.255.255.255/32", "tcp", 443, 443), NONE, "ok"),
        Arguments.of("egress wider", egress("10.0.0.0/7", "tcp", 443, 443), NONE,
            "denied:egress tcp to 10.0.0.0/7 port 443 is not within any egress rule of the policy for user alice (FILE)"),
        Arguments.of("egress /0", egress("0.0.0.0/0", "tcp", 443, 443), NONE, "denied:egress tcp to 0.0.0.0/0"),
        Arguments.of("egress other port", egress("10.0.0.0/8", "tcp", 444, 444), NONE, "denied:egress tcp to 10.0.0.0/8 port 444"),
        Arguments.of("egress other protocol", egress("10.0.0.0/8", "udp", 443, 443), NONE, "denied:egress udp"),
        Arguments.of("port range equal", egress("192.0.2.0/24", "tcp", 8000, 8100), NONE, "ok"),
        Arguments.of("port range inside", egress("192.0.2.5/32", "tcp", 8050, 8050), NONE, "ok"),
        Arguments.of("port range first edge", egress("192.0.2.0/24", "tcp", 8000, 8000), NONE, "ok"),
        Arguments.of("port range last edge", egress("192.0.2.0/24", "tcp", 8100, 8100), NONE, "ok"),
        Arguments.of("port range one over", egress("192.0.2.0/24", "tcp", 8000, 8101), NONE, "denied:ports 8000-8101"),
        Arguments.of("port range one under", egress("192.0.2.0/24", "tcp", 7999, 8000), NONE, "denied:ports 7999-8000"),
        Arguments.of("ipv6 narrower", egress("2001:db8:1::/48", "udp", 53, 53), NONE, "ok"),
        Arguments.of("ipv6 host", egress("2001:db8::53/128", "udp", 53, 53), NONE, "ok"),
        Arguments.of("ipv6 neighbour", egress("2001:db9::/32", "udp", 53, 53), NONE, "denied:egress udp to 2001:db9::/32"),
        Arguments.of("ipv6 /0", egress("::/0", "udp", 53, 53), NONE, "denied:egress udp to ::/0"),
        Arguments.of("ipv4-mapped is not ipv4", egress("::ffff:a00:0/104", "tcp", 443, 443), NONE, "denied:egress tcp to ::ffff:a00:0/104"),
        Arguments.of("icmp inside", egress("198.51.100.7/32", "icmp", 0, 0), NONE, "ok"),
        Arguments.of("icmp elsewhere", egress("10.0.0.0/8", "icmp", 0, 0), NONE, "denied:egress icmp to 10.0.0.0/8"),
        Arguments.of("dns exact", dns("example.org"), NONE, "ok"),
        Arguments.of("dns sub of exact", dns("www.example.org"), NONE, "denied:DNS name www.example.org is not permitted"),
        Arguments.of("dns wildcard one level", dns("www.example.net"), NONE, "ok"),
        Arguments.of("dns wildcard two levels", dns("a.b.example.net"), NONE, "ok"),
        Arguments.of("dns wildcard excludes apex", dns("example.net"), NONE, "denied:DNS name example.net"),
        Arguments.of("dns wildcard request inside", dns("*.example.net", "*.a.example.net"), NONE, "ok"),
        Arguments.of("dns wider wildcard", dns("*.net"), NONE, "denied:DNS name *.net"),
        Arguments.of("dns suffix trick", dns("evilexample.net"), NONE, "denied:DNS name evilexample.net"),
        Arguments.of("quota exactly used up", vm("default", 2, 2048), new Usage(2, 2, 2048), "ok"),
        Arguments.of("sandbox count", vm("default", 1, 1), new Usage(3, 0, 0),
            "quota:sandbox quota reached: 3 held, the quota is 3 of the policy for user alice (FILE); destroy a sandbox first"),
        Arguments.of("vcpu total", vm("default", 2, 1), new Usage(1, 3, 0),
            "quota:vcpus 2 would bring the total to 5, over the quota of 4 vCPUs of the policy for user alice (FILE) (3 in use)"),
        Arguments.of("memory total", vm("default", 1, 2048), new Usage(1, 1, 2049),
            "quota:memory 2048 MiB would bring the total to 4097 MiB, over the quota of 4096 MiB"),
        Arguments.of("no overflow", vm("default", 1, 1), new Usage(0, Integer.MAX_VALUE, 0), "quota:vcpus 1 would bring the total to 2147483648"),
        Arguments.of("no overflow memory", vm("default", 1, 1), new Usage(0, 0, Long.MAX_VALUE), "quota:memory 1 MiB"),
        Arguments.of("not permitted beats quota", vm("debian:11", 1, 1), new Usage(3, 4, 4096), "denied:image debian:11"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void checkCreate(String name, CreateIntent intent, Usage usage, String expected) throws Exception {
    Subject alice = f.subject("alice");
    assertThatCode(() -> IntentSyntax.check(intent)).as("the table holds well-formed requests").doesNotThrowAnyException();
    if (expected.equals("ok")) {
      authorizer.checkCreate(alice, intent, usage);
      return;
    }
    PolicyDeniedException e = catchThrowableOfType(PolicyDeniedException.class,
        () -> authorizer.checkCreate(alice, intent, usage));
    assertThat(e).as("refused").isNotNull();
    String message = expected.substring(expected.indexOf(':') + 1).replace("FILE", file.toString());
    assertThat(e.getMessage()).contains(message);
    assertThat(e instanceof QuotaExceededException).as("quota, not denial").isEqualTo(expected.startsWith("quota:"));
  }

  @Test
  void rootMayDoAnything() throws Exception {
    Subject root = new Subject(0, 0, java.util.Set.of(0), "root", java.util.Set.of("root"));
    CreateIntent huge = new CreateIntent("firecracker", "anything:1", List.of(), 1024, 1 << 20,
        List.of(new EgressRule("0.0.0.0/0", "tcp", 1, 65535)), List.of("*"));
    authorizer.checkCreate(root, huge, new Usage(Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE));
    Authorizer.empty().checkCreate(root, huge, NONE);
    assertThat(authorizer.isAdmin(root)).isTrue();
    assertThat(authorizer.grantFor(root).orElseThrow().images()).containsExactly("*");
  }

  @Test
  void emptyPolicyRefusesEveryoneButRoot() {
    PolicyDeniedException e = catchThrowableOfType(PolicyDeniedException.class,
        () -> Authorizer.empty().checkCreate(f.subject("alice"), vm("default", 1, 1), NONE));
    assertThat(e).isNotInstanceOf(QuotaExceededException.class);
    assertThat(e.getMessage()).isEqualTo("no policy names user alice (uid 1000) (the policy is empty): "
        + "add a rule naming the user or one of its groups");
    assertThat(Authorizer.empty().grantFor(f.subject("alice"))).isEmpty();
  }

  @Test
  void unnamedSubjectIsRefusedByName() {
    PolicyDeniedException e = catchThrowableOfType(PolicyDeniedException.class,
        () -> authorizer.checkCreate(f.subject("dave"), vm("default", 1, 1), NONE));
    assertThat(e.getMessage()).startsWith("no policy names user dave (uid 1003) in 1 policy file(s)");
    Subject nameless = new Subject(777, 777, java.util.Set.of(777), "", java.util.Set.of());
    assertThat(catchThrowableOfType(PolicyDeniedException.class,
        () -> authorizer.checkCreate(nameless, vm("default", 1, 1), NONE)).getMessage()).startsWith("no policy names uid 777 ");
  }

  @Test
  void malformedIntentIsACallerError() {
    assertThat(catchThrowableOfType(IllegalArgumentException.class,
        () -> authorizer.checkCreate(f.subject("alice"), vm("default", 0, 1), NONE))).isNotNull();
  }
}
