package io.stockade.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.stockade.policy.Authorizer.CreateIntent;
import io.stockade.policy.Authorizer.Usage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped examples load together and decide as docs/policy.md says they do. */
class ExamplesTest {
  static final Path EXAMPLES = Path.of(System.getProperty("stockade.repoDir", ".."), "policy/examples");
  static final Usage NONE = new Usage(0, 0, 0);

  @TempDir Path tmp;
  Authorizer a;

  @BeforeEach
  void setUp() throws Exception {
    Files.createDirectories(tmp.resolve("etc"));
    Files.writeString(tmp.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\nann:x:1000:1000::/:/bin/sh\n");
    Files.writeString(tmp.resolve("etc/group"),
        "root:x:0:\nstockade:x:990:ann\nci-runners:x:991:\nci-admins:x:992:\nagents:x:993:\n");
    a = PolicyLoader.create(UserDatabase.under(tmp), PolicyLoader.Ownership.SKIP_CHECK).load(EXAMPLES);
  }

  private static Subject member(int uid, int gid) {
    return new Subject(uid, uid, Set.of(uid, gid), "", Set.of());
  }

  @Test
  void demoGrantsSmallSandboxesWithEgressToTheExampleRangeOnly() throws Exception {
    Subject ann = new Subject(1000, 1000, Set.of(1000, 990), "ann", Set.of("ann", "stockade"));
    a.checkCreate(ann, new CreateIntent("qemu", "stockade-default", List.of(), 1, 512,
        List.of(new EgressRule("192.0.2.10/32", "tcp", 443, 443)), List.of()), NONE);
    a.checkCreate(ann, new CreateIntent("process", "", List.of("/bin/sh", "-c", "true"), 1, 256,
        List.of(), List.of()), new Usage(1, 1, 512));
    assertThat(catchThrowableOfType(PolicyDeniedException.class, () -> a.checkCreate(ann,
        new CreateIntent("qemu", "stockade-default", List.of(), 1, 512,
            List.of(new EgressRule("198.51.100.0/24", "tcp", 443, 443)), List.of()), NONE))).isNotNull();
    assertThat(catchThrowableOfType(QuotaExceededException.class, () -> a.checkCreate(ann,
        new CreateIntent("qemu", "stockade-default", List.of(), 1, 512, List.of(), List.of()),
        new Usage(2, 2, 1024)))).isNotNull();
  }

  @Test
  void ciRunnersReleaseBuilderAndAdmins() throws Exception {
    Subject runner = member(5000, 991);
    a.checkCreate(runner, new CreateIntent("firecracker", "debian:12", List.of(), 4, 4096,
        List.of(new EgressRule("10.20.8.0/25", "tcp", 8080, 8080)), List.of("build.ci.example.org")),
        new Usage(3, 12, 12288));
    assertThat(catchThrowableOfType(QuotaExceededException.class, () -> a.checkCreate(runner,
        new CreateIntent("qemu", "debian", List.of(), 4, 1024, List.of(), List.of()),
        new Usage(3, 13, 0))).getMessage()).contains("over the quota of 16 vCPUs");
    // uid 2500 is also in ci-runners, but its own rule replaces the group's.
    Subject release = new Subject(2500, 2500, Set.of(2500, 991), "", Set.of());
    a.checkCreate(release, new CreateIntent("qemu", "debian", List.of(), 16, 32768, List.of(), List.of()), NONE);
    assertThat(catchThrowableOfType(PolicyDeniedException.class, () -> a.checkCreate(release,
        new CreateIntent("firecracker", "debian", List.of(), 1, 1, List.of(), List.of()), NONE))).isNotNull();
    Subject admin = member(5001, 992);
    assertThat(a.isAdmin(admin)).isTrue();
    assertThat(a.isAdmin(runner)).isFalse();
    assertThat(a.grantFor(admin).orElseThrow().kinds()).isEmpty();
  }

  @Test
  void agentsRunInterpretersAndReachTheGatewayOnly() throws Exception {
    Subject agent = member(6000, 993);
    a.checkCreate(agent, new CreateIntent("process", "", List.of("/usr/bin/python3", "tool.py"), 1, 1024,
        List.of(new EgressRule("203.0.113.7/32", "tcp", 443, 443)), List.of("eu.models.example.com")), NONE);
    assertThat(catchThrowableOfType(PolicyDeniedException.class, () -> a.checkCreate(agent,
        new CreateIntent("process", "", List.of("/usr/bin/perl"), 1, 256, List.of(), List.of()), NONE))
        .getMessage()).startsWith("program /usr/bin/perl is not permitted by the policy for group agents");
  }
}
