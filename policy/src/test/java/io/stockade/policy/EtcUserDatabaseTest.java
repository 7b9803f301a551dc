package io.stockade.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EtcUserDatabaseTest {
  @TempDir Path tmp;

  @Test
  void resolvesNamesIdsAndMemberships() {
    UserDatabase db = new PolicyFixture(tmp).users;
    assertThat(db.uidOf("bob")).hasValue(1001);
    assertThat(db.gidOf("dev")).hasValue(2001);
    assertThat(db.uidOf("mallory")).isEmpty();
    assertThat(db.userName(1002)).hasValue("carol");
    assertThat(db.groupName(2002)).hasValue("ops");
    assertThat(db.groupsOf(1001)).containsExactlyInAnyOrder(1001, 2000, 2001);
    assertThat(db.groupsOf(4242)).isEmpty();
  }

  @Test
  void skipsMalformedAndCompatLinesAndKeepsTheFirstEntry() throws Exception {
    Files.createDirectories(tmp.resolve("etc"));
    Files.writeString(tmp.resolve("etc/passwd"), String.join("\n",
        "garbage", "+nis::::::", "x:x:notanumber:1::/:/bin/sh", "big:x:99999999999:1::/:/bin/sh",
        "ann:x:10:10::/:/bin/sh", "ann:x:11:11::/:/bin/sh", "twin:x:10:10::/:/bin/sh", ""));
    Files.writeString(tmp.resolve("etc/group"), "g:x:10:ann, twin\n-bad:x:5:\nshort:x\n");
    UserDatabase db = UserDatabase.under(tmp);
    assertThat(db.uidOf("ann")).hasValue(10);
    assertThat(db.userName(10)).hasValue("ann");
    assertThat(db.uidOf("x")).isEmpty();
    assertThat(db.uidOf("big")).isEmpty();
    assertThat(db.uidOf("+nis")).isEqualTo(OptionalInt.empty());
    assertThat(db.gidOf("-bad")).isEmpty();
    assertThat(db.groupsOf(10)).containsExactly(10);
  }

  @Test
  void rereadsWhenAFileChanges() throws Exception {
    PolicyFixture f = new PolicyFixture(tmp);
    assertThat(f.users.uidOf("erin")).isEmpty();
    Path passwd = tmp.resolve("etc/passwd");
    Files.writeString(passwd, PolicyFixture.PASSWD + "erin:x:1004:1004::/:/bin/sh\n");
    Files.setLastModifiedTime(passwd, FileTime.fromMillis(System.currentTimeMillis() + 5000));
    assertThat(f.users.uidOf("erin")).hasValue(1004);
  }

  @Test
  void missingFilesMeanNoUsers() {
    UserDatabase db = UserDatabase.under(tmp.resolve("nowhere"));
    assertThat(db.uidOf("root")).isEmpty();
    assertThat(db.groupsOf(0)).isEmpty();
  }

  @Test
  void readsTheHostDatabase() {
    assertThat(UserDatabase.system().uidOf("root")).hasValue(0);
  }
}
