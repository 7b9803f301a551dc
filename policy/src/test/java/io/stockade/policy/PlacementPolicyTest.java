package io.stockade.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.stockade.policy.Authorizer.CreateIntent;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * CPU pinning ({@code cpus}) and network rate caps ({@code maxNetBytesPerSec},
 * {@code maxNetPacketsPerSec}): grant validation, the checks, the grant's defaults, merging.
 */
class PlacementPolicyTest {
  static final String BASE = PolicyFixture.BASE_GRANT;

  @TempDir Path tmp;

  static Stream<Arguments> invalidGrants() {
    String g = "/rules/0/grant";
    return Stream.of(
        Arguments.of("'cpus': ''", g + "/cpus", "must name at least one CPU"),
        Arguments.of("'cpus': '3-1'", g + "/cpus", "range 3-1 runs backwards"),
        Arguments.of("'cpus': '0-1;2'", g + "/cpus", "is not a CPU number"),
        Arguments.of("'cpus': 3", g + "/cpus", "must be a string"),
        Arguments.of("'maxNetBytesPerSec': 1499", g + "/maxNetBytesPerSec", "must be from 1500 to 4294967295, got 1499"),
        Arguments.of("'maxNetBytesPerSec': '1M'", g + "/maxNetBytesPerSec", "must be an integer"),
        Arguments.of("'maxNetPacketsPerSec': 9", g + "/maxNetPacketsPerSec", "must be from 10 to 10000000, got 9"),
        Arguments.of("'maxNetPacketPerSec': 10", g + "/maxNetPacketPerSec", "unknown field"),
        Arguments.of("'openFiles': 15", g + "/openFiles", "must be from 16 to 1048576, got 15"),
        Arguments.of("'openFiles': 1048577", g + "/openFiles", "must be from 16 to 1048576"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("invalidGrants")
  void invalidFieldsAreReportedWithPointer(String fields, String pointer, String reason) {
    new PolicyFixture(tmp).assertGrantProblem(fields, pointer, reason);
  }

  static CreateIntent placed(String cpus, long bytes, long packets) {
    return new CreateIntent("qemu", "default", List.of(), 1, 256, List.of(), List.of(), List.of(), 0, 0, 0,
        CpuList.parse(cpus), new RateLimit(bytes, packets));
  }

  static Stream<Arguments> checks() {
    String caps = "'cpus': '2-3', 'maxNetBytesPerSec': 1000000, 'maxNetPacketsPerSec': 5000";
    return Stream.of(
        Arguments.of("nothing asked, nothing granted", "", placed("", 0, 0), "ok"),
        Arguments.of("any CPU and rate without restrictions", "", placed("0-63", 4_294_967_295L, 10), "ok"),
        Arguments.of("within the grant", caps, placed("3", 1_000_000, 5000), "ok"),
        Arguments.of("a CPU outside", caps, placed("1-3", 0, 0),
            "denied:CPUs 1 are not among the CPUs 2-3 of the policy for user alice (FILE) (cpus)"),
        Arguments.of("bytes one over", caps, placed("", 1_000_001, 0),
            "denied:network rate 1000001 bytes/s exceeds the limit 1000000 of the policy for user alice (FILE) (maxNetBytesPerSec)"),
        Arguments.of("packets one over", caps, placed("", 0, 5001),
            "denied:network rate 5001 packets/s exceeds the limit 5000 of the policy for user alice (FILE) (maxNetPacketsPerSec)"),
        Arguments.of("nothing asked under caps takes the caps", caps, placed("", 0, 0), "ok"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("checks")
  void checkCreateEnforcesTheGrant(String name, String fields, CreateIntent intent, String expected) throws Exception {
    new PolicyFixture(tmp).assertCreate(fields, intent, expected);
  }

  @Test
  void theGrantFillsWhatARequestLeavesOpen() throws Exception {
    PolicyFixture f = new PolicyFixture(tmp);
    f.write("10-test.json", PolicyFixture.aliceGrant(
        "{" + BASE + ", 'cpus': '1', 'maxNetBytesPerSec': 2000, 'maxNetPacketsPerSec': 10}"));
    Grant g = f.load().grantFor(f.subject("alice")).orElseThrow();
    assertThat(g.cpusFor(CpuList.NONE)).hasToString("1");
    assertThat(g.cpusFor(CpuList.of(1))).hasToString("1");
    assertThat(g.netRateFor(RateLimit.NONE)).isEqualTo(new RateLimit(2000, 10));
    assertThat(g.netRateFor(new RateLimit(1500, 0))).isEqualTo(new RateLimit(1500, 10));
    assertThat(PolicyAuthorizer.ROOT_GRANT.cpusFor(CpuList.NONE).isEmpty()).as("root: not pinned").isTrue();
    assertThat(PolicyAuthorizer.ROOT_GRANT.netRateFor(RateLimit.NONE).limits()).as("root: unlimited").isFalse();
  }

  @Test
  void groupRulesMergeToTheMostPermissive() throws Exception {
    PolicyFixture f = new PolicyFixture(tmp);
    f.write("10-test.json", PolicyFixture.file(
        "{'groups': ['ci'], 'grant': {" + BASE + ", 'cpus': '0', 'maxNetBytesPerSec': 4000, 'maxNetPacketsPerSec': 50,"
            + " 'openFiles': 4096}},"
            + "{'groups': ['dev'], 'grant': {" + BASE + ", 'cpus': '2-3', 'maxNetBytesPerSec': 8000, 'openFiles': 2048}}"));
    Grant g = f.load().grantFor(f.subject("bob")).orElseThrow();
    assertThat(g.openFiles()).as("the larger open-files limit").isEqualTo(4096);
    assertThat(g.cpus()).hasToString("0,2-3");
    assertThat(g.maxNetRate()).as("a rule without a packets cap lifts it").isEqualTo(new RateLimit(8000, 0));

    f.write("10-test.json", PolicyFixture.file(
        "{'groups': ['ci'], 'grant': {" + BASE + ", 'cpus': '0'}},"
            + "{'groups': ['dev'], 'grant': {" + BASE + "}}"));
    assertThat(f.load().grantFor(f.subject("bob")).orElseThrow().cpus().isEmpty())
        .as("a rule without cpus lifts the restriction").isTrue();
  }

  @Test
  void grantsListEachRulesOwnGrantWithFileAndPointer() throws Exception {
    PolicyFixture f = new PolicyFixture(tmp);
    Path file = f.write("10-test.json", PolicyFixture.file(
        "{'groups': ['ci'], 'grant': {" + BASE + ", 'cpus': '0'}},"
            + "{'users': ['alice'], 'grant': {" + BASE + ", 'maxNetPacketsPerSec': 50}}"));
    List<Authorizer.SourcedGrant> grants = f.load().grants();
    assertThat(grants).extracting(Authorizer.SourcedGrant::source)
        .containsExactly(file + "#/rules/0", file + "#/rules/1");
    assertThat(grants.get(0).grant().cpus()).hasToString("0");
    assertThat(grants.get(1).grant().maxNetRate().packetsPerSecond()).isEqualTo(50);
    assertThat(Authorizer.empty().grants()).isEmpty();
  }

  @Test
  void malformedRatesAreSyntaxErrors() {
    PolicyFixture.assertMalformed(placed("", 1499, 0), "netBytesPerSec",
        "must be 0 (none) or from 1500 to 4294967295, got 1499");
    PolicyFixture.assertMalformed(placed("", 4_294_967_296L, 0), "netBytesPerSec", "got 4294967296");
    PolicyFixture.assertMalformed(placed("", 0, 9), "netPacketsPerSec", "must be 0 (none) or from 10 to 10000000, got 9");
    PolicyFixture.assertMalformed(placed("", 0, 10_000_001), "netPacketsPerSec", "got 10000001");
  }
}
