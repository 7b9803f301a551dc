package io.stockade.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stockade.policy.Authorizer.CreateIntent;
import io.stockade.policy.Authorizer.Usage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading is pure: a failed reload leaves the Authorizer in hand untouched. */
class ReloadTest {
  @TempDir Path tmp;

  @Test
  void brokenEditDoesNotChangeTheAuthorizerInHand() throws Exception {
    PolicyFixture f = new PolicyFixture(tmp);
    Path file = f.write("10-ci.json", PolicyFixture.aliceGrant(PolicyFixture.SMALL_QEMU));
    Authorizer before = f.load();
    Grant grant = before.grantFor(f.subject("alice")).orElseThrow();

    Files.writeString(file, "{\"version\": 1, \"rules\": [");
    assertThat(f.loadFails().problems()).singleElement()
        .satisfies(p -> assertThat(p.reason()).startsWith("not valid JSON"));

    assertThat(before.grantFor(f.subject("alice"))).hasValue(grant);
    before.checkCreate(f.subject("alice"),
        new CreateIntent("qemu", "default", List.of(), 2, 1024, List.of(), List.of()), new Usage(0, 0, 0));
  }

  @Test
  void successfulReloadSeesNewFilesAndUsers() throws Exception {
    PolicyFixture f = new PolicyFixture(tmp);
    f.write("10-ci.json", PolicyFixture.aliceGrant(PolicyFixture.SMALL_QEMU));
    Authorizer first = f.load();
    Files.writeString(tmp.resolve("etc/group"), PolicyFixture.GROUP + "late:x:2100:dave\n");
    Files.setLastModifiedTime(tmp.resolve("etc/group"),
        java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
    f.write("20-late.json", PolicyFixture.file("{'groups': ['late'], 'admin': true}"));
    Authorizer second = f.load();
    assertThat(first.isAdmin(f.subject("dave"))).isFalse();
    assertThat(second.isAdmin(f.subject("dave"))).isTrue();
  }
}
