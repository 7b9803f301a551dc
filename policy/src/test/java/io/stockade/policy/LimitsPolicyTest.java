package io.stockade.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.stockade.policy.Authorizer.CreateIntent;
import io.stockade.policy.Authorizer.Usage;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** pids and I/O bandwidth limits: the grant fields' validation, the caps, the grant's default. */
class LimitsPolicyTest {
  static final String BASE = PolicyFixture.BASE_GRANT;
  static final Usage NONE = new Usage(0, 0, 0);

  @TempDir Path tmp;

  static Stream<Arguments> invalidGrants() {
    String g = "/rules/0/grant";
    return Stream.of(
        Arguments.of("'maxPids': 0", g + "/maxPids", "must be from 1 to 4194304, got 0"),
        Arguments.of("'maxPids': 4194305", g + "/maxPids", "must be from 1 to 4194304"),
        Arguments.of("'maxPids': '64'", g + "/maxPids", "must be an integer, got a string"),
        Arguments.of("'maxIoBytesPerSec': 0", g + "/maxIoBytesPerSec", "must be from 1 to 1099511627776, got 0"),
        Arguments.of("'maxIoBytesPerSec': -1", g + "/maxIoBytesPerSec", "must be from 1"),
        Arguments.of("'maxIoBytesPerSec': 1.5", g + "/maxIoBytesPerSec", "must be an integer, got a number"),
        Arguments.of("'maxPid': 1", g + "/maxPid", "unknown field 'maxPid'"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("invalidGrants")
  void invalidFieldsAreReportedWithPointer(String fields, String pointer, String reason) {
    new PolicyFixture(tmp).assertGrantProblem(fields, pointer, reason);
  }

  static CreateIntent limits(long pids, long read, long write) {
    return new CreateIntent("qemu", "default", List.of(), 1, 256, List.of(), List.of(), List.of(), pids, read, write);
  }

  static Stream<Arguments> checks() {
    String caps = "'maxPids': 1000, 'maxIoBytesPerSec': 10485760";
    return Stream.of(
        Arguments.of("defaults, nothing granted", "", limits(0, 0, 0), "ok"),
        Arguments.of("pids without maxPids", "", limits(64, 0, 0),
            "denied:pids 64 exceeds the per-sandbox limit 0 of the policy for user alice (FILE) (maxPids): it permits no pids"),
        Arguments.of("any I/O limit without a cap", "", limits(0, 1, 1L << 40), "ok"),
        Arguments.of("within both caps", caps, limits(1000, 10485760, 1), "ok"),
        Arguments.of("pids one over", caps, limits(1001, 0, 0),
            "denied:pids 1001 exceeds the per-sandbox limit 1000 of the policy for user alice (FILE) (maxPids)"),
        Arguments.of("read one over", caps, limits(0, 10485761, 0),
            "denied:I/O read limit 10485761 bytes/s exceeds the limit 10485760 of the policy for user alice (FILE) (maxIoBytesPerSec)"),
        Arguments.of("write one over", caps, limits(0, 0, 10485761),
            "denied:I/O write limit 10485761 bytes/s exceeds the limit 10485760"),
        Arguments.of("no I/O limit under a cap takes the cap", caps, limits(0, 0, 0), "ok"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("checks")
  void checkCreateEnforcesTheCaps(String name, String fields, CreateIntent intent, String expected) throws Exception {
    new PolicyFixture(tmp).assertCreate(fields, intent, expected);
  }

  @Test
  void theGrantsCapIsTheLimitOfARequestThatSetsNone() throws Exception {
    PolicyFixture f = new PolicyFixture(tmp);
    f.write("10-test.json", PolicyFixture.aliceGrant("{" + BASE + ", 'maxIoBytesPerSec': 4096}"));
    Grant g = f.load().grantFor(f.subject("alice")).orElseThrow();
    assertThat(g.ioLimit(0)).isEqualTo(4096);
    assertThat(g.ioLimit(100)).isEqualTo(100);
    assertThat(PolicyAuthorizer.ROOT_GRANT.ioLimit(0)).as("root: unlimited").isZero();
  }

  @Test
  void groupRulesMergeToTheMostPermissive() throws Exception {
    PolicyFixture f = new PolicyFixture(tmp);
    f.write("10-test.json", PolicyFixture.file(
        "{'groups': ['ci'], 'grant': {" + BASE + ", 'maxPids': 100, 'maxIoBytesPerSec': 4096}},"
            + "{'groups': ['dev'], 'grant': {" + BASE + ", 'maxPids': 50, 'maxIoBytesPerSec': 8192}}"));
    Grant g = f.load().grantFor(f.subject("bob")).orElseThrow();
    assertThat(g.maxPids()).isEqualTo(100);
    assertThat(g.maxIoBytesPerSec()).isEqualTo(8192);

    f.write("10-test.json", PolicyFixture.file(
        "{'groups': ['ci'], 'grant': {" + BASE + ", 'maxIoBytesPerSec': 4096}},"
            + "{'groups': ['dev'], 'grant': {" + BASE + "}}"));
    assertThat(f.load().grantFor(f.subject("bob")).orElseThrow().maxIoBytesPerSec())
        .as("a rule without a cap lifts it").isZero();
  }

  @Test
  void malformedRequestsAreSyntaxErrors() {
    PolicyFixture.assertMalformed(limits(-1, 0, 0), "pids", "must be from 0 (the default) to 4194304, got -1");
    PolicyFixture.assertMalformed(limits(4194305, 0, 0), "pids", "got 4194305");
    PolicyFixture.assertMalformed(limits(0, -1, 0), "ioReadBytesPerSec", "got -1");
    PolicyFixture.assertMalformed(limits(0, 0, (1L << 40) + 1), "ioWriteBytesPerSec",
        "must be from 0 (the default) to 1099511627776");
  }

  @Test
  void oldConstructorsMeanNoLimits() {
    CreateIntent i = new CreateIntent("qemu", "default", List.of(), 1, 1, List.of(), List.of(), List.of());
    assertThat(i.pids()).isZero();
    assertThat(i.ioReadBytesPerSec()).isZero();
    Grant g = new Grant(java.util.Set.of(), java.util.Set.of(), 0, 0, 0, 0, 0, List.of(), List.of(), List.of(), 1, 1);
    assertThat(g.maxPids()).isZero();
    assertThat(g.maxIoBytesPerSec()).isZero();
  }
}
