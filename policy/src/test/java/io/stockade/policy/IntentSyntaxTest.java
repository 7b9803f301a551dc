package io.stockade.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.stockade.policy.Authorizer.CreateIntent;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Malformed requests are InvalidParameter (InvalidIntentException), never a policy decision. */
class IntentSyntaxTest {
  static CreateIntent vm(List<EgressRule> egress, List<String> dns) {
    return new CreateIntent("qemu", "default", List.of(), 1, 256, egress, dns);
  }

  static CreateIntent rule(String cidr, String protocol, int from, int to) {
    return vm(List.of(new EgressRule("10.0.0.0/8", "tcp", 443, 443), new EgressRule(cidr, protocol, from, to)), List.of());
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of(new CreateIntent("docker", "x", List.of(), 1, 1, List.of(), List.of()), "kind", "unknown kind"),
        Arguments.of(new CreateIntent("process", "", List.of(), 1, 1, List.of(), List.of()), "command", "needs a command"),
        Arguments.of(new CreateIntent("process", "", List.of("sh"), 1, 1, List.of(), List.of()), "command[0]", "is relative"),
        Arguments.of(new CreateIntent("process", "", List.of("/bin/../sh"), 1, 1, List.of(), List.of()), "command[0]", "not normalised"),
        Arguments.of(new CreateIntent("qemu", "", List.of(), 1, 1, List.of(), List.of()), "image", "image name ''"),
        Arguments.of(new CreateIntent("qemu", "*", List.of(), 1, 1, List.of(), List.of()), "image", "'*' is not an image"),
        Arguments.of(new CreateIntent("qemu", "a", List.of(), 0, 1, List.of(), List.of()), "vcpus", "from 1 to 1024, got 0"),
        Arguments.of(new CreateIntent("qemu", "a", List.of(), 1025, 1, List.of(), List.of()), "vcpus", "got 1025"),
        Arguments.of(new CreateIntent("qemu", "a", List.of(), 1, 0, List.of(), List.of()), "memoryMiB", "got 0"),
        Arguments.of(new CreateIntent("qemu", "a", List.of(), 1, -1, List.of(), List.of()), "memoryMiB", "got -1"),
        Arguments.of(rule("10.0.0.1/8", "tcp", 443, 443), "egress[1]", "host bits set: did you mean 10.0.0.0/8?"),
        Arguments.of(rule("10.0.0.0", "tcp", 443, 443), "egress[1]", "no prefix length"),
        Arguments.of(rule("2001:DB8::/32", "tcp", 443, 443), "egress[1]", "canonical form: write 2001:db8::/32"),
        Arguments.of(rule("10.0.0.0/8", "sctp", 443, 443), "egress[1]", "unknown protocol"),
        Arguments.of(rule("10.0.0.0/8", "tcp", 0, 443), "egress[1]", "from 1 to 65535"),
        Arguments.of(rule("10.0.0.0/8", "tcp", 443, 65536), "egress[1]", "from 1 to 65535"),
        Arguments.of(rule("10.0.0.0/8", "tcp", 444, 443), "egress[1]", "backwards"),
        Arguments.of(rule("10.0.0.0/8", "icmp", 1, 1), "egress[1]", "icmp has no ports"),
        Arguments.of(vm(List.of(), List.of("ok.example", "Bad.Example")), "dnsNames[1]", "upper-case"),
        Arguments.of(vm(List.of(), List.of("a.*.example")), "dnsNames[0]", "wildcard"));
  }

  @ParameterizedTest(name = "{1}: {2}")
  @MethodSource("malformed")
  void refused(CreateIntent intent, String parameter, String reason) {
    InvalidIntentException e = catchThrowableOfType(InvalidIntentException.class, () -> IntentSyntax.check(intent));
    assertThat(e).as("refused").isNotNull();
    assertThat(e.parameter()).isEqualTo(parameter);
    assertThat(e.getMessage()).startsWith(parameter + ": ").contains(reason);
  }

  @org.junit.jupiter.api.Test
  void wellFormedPasses() throws Exception {
    IntentSyntax.check(new CreateIntent("process", "", List.of("/usr/bin/python3"), 1024, 16L << 20,
        List.of(new EgressRule("::/0", "udp", 1, 65535), new EgressRule("192.0.2.1/32", "icmp", 0, 0)),
        List.of("*", "*.example.org", "localhost")));
    IntentSyntax.checkEgress(List.of(new EgressRule("0.0.0.0/0", "tcp", 65535, 65535)));
  }
}
