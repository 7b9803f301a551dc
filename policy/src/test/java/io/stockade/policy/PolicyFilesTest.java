package io.stockade.policy;

import static io.stockade.policy.PolicyFixture.aliceGrant;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which files are read, and the owner, mode and symlink checks, on real files. */
class PolicyFilesTest {
  @TempDir Path tmp;
  PolicyFixture f;

  @BeforeEach
  void setUp() throws Exception {
    f = new PolicyFixture(tmp);
    Files.setPosixFilePermissions(f.dir, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private Authorizer loadStrict() throws PolicyLoadException {
    return PolicyLoader.create(f.users, PolicyLoader.Ownership.REQUIRE_ROOT).load(f.dir);
  }

  private PolicyProblem strictProblem() {
    PolicyLoadException e = catchThrowableOfType(PolicyLoadException.class, this::loadStrict);
    assertThat(e).as("the strict load should have failed").isNotNull();
    assertThat(e.problems()).as(e.getMessage()).hasSize(1);
    return e.problems().get(0);
  }

  private Path policyFile(String name) throws Exception {
    Path p = f.write(name, aliceGrant(PolicyFixture.SMALL_QEMU));
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
    return p;
  }

  private static void assumeRoot() throws Exception {
    assumeTrue((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0,
        "needs root to create files owned by root and chown them to others");
  }

  @Test
  void rootOwnedFilesLoad() throws Exception {
    assumeRoot();
    policyFile("10-ci.json");
    assertThat(loadStrict().grantFor(f.subject("alice"))).isPresent();
  }

  @Test
  void fileOwnedByAnotherUserIsHostile() throws Exception {
    assumeRoot();
    Path p = policyFile("10-ci.json");
    Files.setAttribute(p, "unix:uid", 54321);
    PolicyProblem problem = strictProblem();
    assertThat(problem.file()).isEqualTo(p);
    assertThat(problem.pointer()).isEmpty();
    assertThat(problem.reason()).isEqualTo("is owned by uid 54321, not root: whoever owns policy can "
        + "grant themselves anything; fix with: chown root:root " + p + " && chmod 0644 " + p);
    // The same file is fine when the caller opted out of the ownership check.
    assertThat(f.load().grantFor(f.subject("alice"))).isPresent();
  }

  @ParameterizedTest(name = "mode {0}")
  @ValueSource(strings = {"rw-rw-r--", "rw-r--rw-", "rw-rw-rw-", "rwxrwxrwx"})
  void fileWritableByGroupOrOthersIsHostile(String mode) throws Exception {
    assumeRoot();
    Path p = policyFile("10-ci.json");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
    PolicyProblem problem = strictProblem();
    assertThat(problem.file()).isEqualTo(p);
    assertThat(problem.reason()).startsWith("has mode 0").contains("writable by group or others")
        .endsWith("fix with: chown root:root " + p + " && chmod 0644 " + p);
  }

  @Test
  void directoryWritableByGroupIsHostile() throws Exception {
    assumeRoot();
    policyFile("10-ci.json");
    Files.setPosixFilePermissions(f.dir, PosixFilePermissions.fromString("rwxrwxr-x"));
    PolicyProblem problem = strictProblem();
    assertThat(problem.file()).isEqualTo(f.dir);
    assertThat(problem.reason()).isEqualTo("has mode 0775, writable by group or others: whoever can "
        + "write policy can grant themselves anything; fix with: chown root:root " + f.dir
        + " && chmod 0755 " + f.dir);
  }

  @Test
  void directoryOwnedByAnotherUserIsHostile() throws Exception {
    assumeRoot();
    Files.setAttribute(f.dir, "unix:uid", 54321);
    assertThat(strictProblem().reason()).startsWith("is owned by uid 54321, not root");
  }

  @Test
  void symlinkOutsideTheDirectoryIsRefused() throws Exception {
    Path outside = Files.writeString(tmp.resolve("elsewhere.json"), "{\"version\": 1, \"rules\": []}");
    Path link = Files.createSymbolicLink(f.dir.resolve("10-link.json"), outside);
    PolicyProblem problem = f.onlyProblem();
    assertThat(problem.file()).isEqualTo(link);
    assertThat(problem.reason()).startsWith("is a symbolic link to " + outside.toRealPath()
        + ", outside " + f.dir);
  }

  @Test
  void symlinkThroughDotDotIsRefused() throws Exception {
    Files.createDirectories(tmp.resolve("other"));
    Path outside = Files.writeString(tmp.resolve("other/x.json"), "{\"version\": 1, \"rules\": []}");
    Files.createSymbolicLink(f.dir.resolve("10-link.json"), Path.of("../other/x.json"));
    assertThat(f.onlyProblem().reason()).contains(outside.toRealPath().toString(), "outside");
  }

  @Test
  void symlinkWithinTheDirectoryIsFollowedAndVetted() throws Exception {
    assumeRoot();
    Path target = policyFile(".10-ci.json.real");
    Files.createSymbolicLink(f.dir.resolve("10-ci.json"), target.getFileName());
    assertThat(loadStrict().grantFor(f.subject("alice"))).isPresent();
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-rw-rw-"));
    assertThat(strictProblem().file()).isEqualTo(target.toRealPath());
  }

  @Test
  void danglingSymlinkIsAProblem() throws Exception {
    Path link = Files.createSymbolicLink(f.dir.resolve("10-gone.json"), Path.of("nothing-here.json"));
    PolicyProblem problem = f.onlyProblem();
    assertThat(problem.file()).isEqualTo(link);
    assertThat(problem.reason()).startsWith("cannot read");
  }

  @Test
  void onlyVisibleJsonFilesAreRead() throws Exception {
    policyFile("10-ci.json");
    Files.writeString(f.dir.resolve(".20-hidden.json"), "garbage");
    Files.writeString(f.dir.resolve("README"), "garbage");
    Files.writeString(f.dir.resolve("10-ci.json.dpkg-old"), "garbage");
    Files.writeString(f.dir.resolve("10-ci.json~"), "garbage");
    Files.writeString(f.dir.resolve("30-upper.JSON"), "garbage");
    assertThat(f.load().grantFor(f.subject("alice"))).isPresent();
  }

  @Test
  void aDirectoryNamedJsonIsAProblem() throws Exception {
    Path sub = Files.createDirectory(f.dir.resolve("50-sub.json"));
    PolicyProblem problem = f.onlyProblem();
    assertThat(problem.file()).isEqualTo(sub);
    assertThat(problem.reason()).startsWith("is not a regular file");
  }

  @Test
  void filesAreReadInNameOrder() throws Exception {
    // "9-..." sorts after "10-..." in byte order: the later file is the one whose duplicate is reported.
    f.write("9-late.json", PolicyFixture.file("{'users': ['alice']}"));
    Path early = f.write("10-early.json", PolicyFixture.file("{'users': ['alice']}"));
    PolicyProblem problem = f.onlyProblem();
    assertThat(problem.file()).isEqualTo(f.dir.resolve("9-late.json"));
    assertThat(problem.reason()).contains("already named at " + early + " /rules/0/users/0");
  }

  @Test
  void missingDirectoryIsAProblemWithTheRemedy() {
    Path missing = tmp.resolve("absent.d");
    PolicyLoadException e = catchThrowableOfType(PolicyLoadException.class,
        () -> PolicyLoader.create(f.users, PolicyLoader.Ownership.SKIP_CHECK).load(missing));
    assertThat(e.problems()).singleElement().satisfies(p -> {
      assertThat(p.file()).isEqualTo(missing);
      assertThat(p.reason()).isEqualTo("does not exist: create it with install -d -o root -g root -m 0755 " + missing);
    });
  }

  @Test
  void directoryThatIsASymlinkOrFileIsAProblem() throws Exception {
    Path link = Files.createSymbolicLink(tmp.resolve("link.d"), f.dir);
    Path file = Files.writeString(tmp.resolve("file.d"), "");
    for (Path p : new Path[] {link, file}) {
      PolicyLoadException e = catchThrowableOfType(PolicyLoadException.class,
          () -> PolicyLoader.create(f.users, PolicyLoader.Ownership.SKIP_CHECK).load(p));
      assertThat(e.problems()).singleElement().satisfies(pr -> assertThat(pr.reason()).startsWith("is not a directory"));
    }
    assertThat(Files.isSymbolicLink(link) && !Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)).isTrue();
  }

  @Test
  void emptyDirectoryGrantsNobodyAnything() throws Exception {
    Authorizer a = f.load();
    assertThat(a.grantFor(f.subject("alice"))).isEmpty();
    assertThat(a.isAdmin(f.subject("alice"))).isFalse();
  }
}
