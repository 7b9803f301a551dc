package io.stockade.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A policy directory and a user database in real files under a test's temporary directory.
 *
 * <p>Users: alice 1000 (groups alice, ci), bob 1001 (bob, ci, dev), carol 1002 (carol, dev, ops),
 * dave 1003 (dave only; no policy names him in most tests).
 */
final class PolicyFixture {
  static final String PASSWD = """
      root:x:0:0:root:/root:/bin/bash
      alice:x:1000:1000::/home/alice:/bin/sh
      bob:x:1001:1001::/home/bob:/bin/sh
      carol:x:1002:1002::/home/carol:/bin/sh
      dave:x:1003:1003::/home/dave:/bin/sh
      """;
  static final String GROUP = """
      root:x:0:
      alice:x:1000:
      bob:x:1001:
      carol:x:1002:
      dave:x:1003:
      ci:x:2000:alice,bob
      dev:x:2001:bob,carol
      ops:x:2002:carol
      empty:x:2003:
      """;

  final Path root;
  final Path dir;
  final UserDatabase users;

  PolicyFixture(Path tmp) {
    this.root = tmp;
    this.dir = tmp.resolve("policy.d");
    try {
      Files.createDirectories(tmp.resolve("etc"));
      Files.createDirectories(dir);
      Files.writeString(tmp.resolve("etc/passwd"), PASSWD);
      Files.writeString(tmp.resolve("etc/group"), GROUP);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.users = UserDatabase.under(tmp);
  }

  /** Writes a policy file; single quotes in {@code json} become double quotes, for readability. */
  Path write(String name, String json) {
    try {
      return Files.writeString(dir.resolve(name), json.replace('\'', '"'));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Authorizer load() throws PolicyLoadException {
    return PolicyLoader.create(users, PolicyLoader.Ownership.SKIP_CHECK).load(dir);
  }

  PolicyLoadException loadFails() {
    PolicyLoadException e = catchThrowableOfType(PolicyLoadException.class, this::load);
    assertThat(e).as("the load should have failed").isNotNull();
    return e;
  }

  /** The single problem of a failed load. */
  PolicyProblem onlyProblem() {
    PolicyLoadException e = loadFails();
    assertThat(e.problems()).as(e.getMessage()).hasSize(1);
    return e.problems().get(0);
  }

  Subject subject(String name) {
    int uid = users.uidOf(name).orElseThrow();
    Set<Integer> groups = users.groupsOf(uid);
    Set<String> names = groups.stream().map(g -> users.groupName(g).orElseThrow()).collect(Collectors.toSet());
    return new Subject(uid, uid, groups, name, names);
  }

  static String file(String rules) {
    return "{'version': 1, 'rules': [" + rules + "]}";
  }

  /** A rule for alice with the given grant object. */
  static String aliceGrant(String grant) {
    return file("{'users': ['alice'], 'grant': " + grant + "}");
  }

  static final String SMALL_QEMU =
      "{'kinds': ['qemu'], 'images': ['default'], 'maxSandboxes': 2, 'maxVcpus': 2, 'maxMemoryMiB': 1024}";

  /** A grant for both VM and process kinds, to which a test adds the fields it is about. */
  static final String BASE_GRANT =
      "'kinds': ['qemu', 'process'], 'images': ['default'], 'commands': ['/bin/sh'], "
          + "'maxSandboxes': 2, 'maxVcpus': 2, 'maxMemoryMiB': 1024";

  /** {@link IntentSyntax#check} refuses {@code intent} naming {@code parameter}, with {@code reason} in its message. */
  static void assertMalformed(Authorizer.CreateIntent intent, String parameter, String reason) {
    InvalidIntentException e = catchThrowableOfType(InvalidIntentException.class, () -> IntentSyntax.check(intent));
    assertThat(e).as(parameter).isNotNull();
    assertThat(e.getMessage()).as(parameter).contains(parameter).contains(reason);
  }

  /** Writes alice's rule with {@link #BASE_GRANT} plus {@code fields}; asserts its only problem. */
  void assertGrantProblem(String fields, String pointer, String reason) {
    write("10-test.json", aliceGrant("{" + BASE_GRANT + ", " + fields + "}"));
    PolicyProblem p = onlyProblem();
    assertThat(p.pointer()).isEqualTo(pointer);
    assertThat(p.reason()).contains(reason);
  }

  /**
   * Writes alice's rule with {@link #BASE_GRANT} plus {@code fields} and checks a create against
   * it with no current usage: {@code expected} is "ok", or "denied:" + a message part in which
   * FILE stands for the policy file's path. A denial must not be a quota refusal.
   */
  void assertCreate(String fields, Authorizer.CreateIntent intent, String expected) throws Exception {
    Path file = write("10-test.json", aliceGrant("{" + BASE_GRANT + (fields.isEmpty() ? "" : ", " + fields) + "}"));
    Authorizer a = load();
    Authorizer.Usage none = new Authorizer.Usage(0, 0, 0);
    if (expected.equals("ok")) {
      org.assertj.core.api.Assertions.assertThatCode(() -> a.checkCreate(subject("alice"), intent, none))
          .doesNotThrowAnyException();
      return;
    }
    PolicyDeniedException e = catchThrowableOfType(PolicyDeniedException.class,
        () -> a.checkCreate(subject("alice"), intent, none));
    assertThat(e).as("should be refused").isNotNull().isNotInstanceOf(QuotaExceededException.class);
    assertThat(e.getMessage()).contains(expected.substring("denied:".length()).replace("FILE", file.toString()));
  }
}
