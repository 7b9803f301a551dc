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

/** Data disks: the grant fields' validation, the per-sandbox count and per-disk size limits. */
class DataDiskPolicyTest {
  static final String BASE = PolicyFixture.BASE_GRANT;
  static final Usage NONE = new Usage(0, 0, 0);

  @TempDir Path tmp;

  static Stream<Arguments> invalidGrants() {
    String g = "/rules/0/grant";
    return Stream.of(
        Arguments.of("'maxDataDisks': -1, 'maxDataDiskMiB': 10", g + "/maxDataDisks", "must be from 0 to 16, got -1"),
        Arguments.of("'maxDataDisks': 17, 'maxDataDiskMiB': 10", g + "/maxDataDisks", "must be from 0 to 16, got 17"),
        Arguments.of("'maxDataDisks': '2', 'maxDataDiskMiB': 10", g + "/maxDataDisks", "must be an integer, got a string"),
        Arguments.of("'maxDataDisks': 1.5, 'maxDataDiskMiB': 10", g + "/maxDataDisks", "must be an integer, got a number"),
        Arguments.of("'maxDataDisks': 1, 'maxDataDiskMiB': 0", g + "/maxDataDiskMiB", "must be from 1 to 16777216, got 0"),
        Arguments.of("'maxDataDisks': 1, 'maxDataDiskMiB': 16777217", g + "/maxDataDiskMiB", "must be from 1 to 16777216"),
        Arguments.of("'maxDataDisks': 1", g + "/maxDataDiskMiB", "no size limit is given: add maxDataDiskMiB"),
        Arguments.of("'maxDataDisk': 1", g + "/maxDataDisk", "unknown field 'maxDataDisk'"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("invalidGrants")
  void invalidFieldsAreReportedWithPointer(String fields, String pointer, String reason) {
    new PolicyFixture(tmp).assertGrantProblem(fields, pointer, reason);
  }

  static CreateIntent disks(Long... sizes) {
    return new CreateIntent("qemu", "default", List.of(), 1, 256, List.of(), List.of(), List.of(sizes));
  }

  static Stream<Arguments> checks() {
    String two = "'maxDataDisks': 2, 'maxDataDiskMiB': 1024";
    return Stream.of(
        Arguments.of("no disks, none granted", "", disks(), "ok"),
        Arguments.of("default is none", "", disks(1L),
            "denied:1 data disks requested, more than the 0 permitted by the policy for user alice (FILE) (maxDataDisks)"),
        Arguments.of("zero granted explicitly", "'maxDataDisks': 0", disks(1L), "denied:more than the 0 permitted"),
        Arguments.of("within both limits", two, disks(1L, 1024L), "ok"),
        Arguments.of("one too many", two, disks(1L, 1L, 1L), "denied:3 data disks requested, more than the 2 permitted"),
        Arguments.of("one MiB too big", two, disks(512L, 1025L),
            "denied:data disk 1 of 1025 MiB exceeds the per-disk limit of 1024 MiB of the policy for user alice (FILE) (maxDataDiskMiB)"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("checks")
  void checkCreateEnforcesCountAndSize(String name, String fields, CreateIntent intent, String expected)
      throws Exception {
    new PolicyFixture(tmp).assertCreate(fields, intent, expected);
  }

  @Test
  void groupRulesMergeByMaximumAndRootMayAnything() throws Exception {
    PolicyFixture f = new PolicyFixture(tmp);
    f.write("10-test.json", PolicyFixture.file(
        "{'groups': ['ci'], 'grant': {" + BASE + ", 'maxDataDisks': 1, 'maxDataDiskMiB': 4096}},"
            + "{'groups': ['dev'], 'grant': {" + BASE + ", 'maxDataDisks': 3, 'maxDataDiskMiB': 100}}"));
    Authorizer a = f.load();
    Grant g = a.grantFor(f.subject("bob")).orElseThrow();
    assertThat(g.maxDataDisks()).isEqualTo(3);
    assertThat(g.maxDataDiskMiB()).isEqualTo(4096);
    assertThatCode(() -> a.checkCreate(new Subject(0, 0, java.util.Set.of(0), "root", java.util.Set.of("root")),
        disks(1L, 2L, 3L, 4L, 1L << 20), NONE)).doesNotThrowAnyException();
  }

  @Test
  void malformedRequestsAreSyntaxErrors() {
    record Case(CreateIntent intent, String parameter, String reason) {}
    Long[] seventeen = new Long[17];
    java.util.Arrays.fill(seventeen, 1L);
    List<Case> cases = List.of(
        new Case(disks(0L), "dataDisks[0].sizeMiB", "must be from 1 to"),
        new Case(disks(-5L), "dataDisks[0].sizeMiB", "must be from 1 to"),
        new Case(disks(1L, 16777217L), "dataDisks[1].sizeMiB", "must be from 1 to 16777216"),
        new Case(disks(seventeen), "dataDisks", "at most 16 data disks, got 17"),
        new Case(new CreateIntent("process", "", List.of("/bin/sh"), 1, 256, List.of(), List.of(), List.of(1L)),
            "dataDisks", "the process kind has no disks"));
    for (Case c : cases) {
      InvalidIntentException e = catchThrowableOfType(InvalidIntentException.class, () -> IntentSyntax.check(c.intent));
      assertThat(e).as(c.parameter).isNotNull();
      assertThat(e.getMessage()).as(c.parameter).contains(c.parameter).contains(c.reason);
    }
  }

  @Test
  void oldConstructorsMeanNoDisks() {
    assertThat(new CreateIntent("qemu", "default", List.of(), 1, 1, List.of(), List.of()).dataDiskMiB()).isEmpty();
    Grant g = new Grant(java.util.Set.of(), java.util.Set.of(), 0, 0, 0, 0, 0, List.of(), List.of(), List.of());
    assertThat(g.maxDataDisks()).isZero();
    assertThat(g.maxDataDiskMiB()).isZero();
  }
}
