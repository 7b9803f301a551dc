package io.stockade.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The harness the end-to-end scenarios stand on, tested alone: a scenario that passes because its
 * fake internet never served the denied port, or whose "user" was really root, would prove nothing.
 */
class HarnessTest {

  private static void assumeRoot() {
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root (namespaces, users)");
    for (String c : new String[] {"ip", "useradd", "setpriv", "socat"}) {
      assumeTrue(Shell.hasCommand(c), c + " is missing: run scripts/setup-debian.sh");
    }
  }

  @Test
  void fakeInternetServesEveryBannerToItsHostNamespaceAndLeavesNothing() {
    assumeRoot();
    String hostNs;
    String internetNs;
    try (FakeInternet net = FakeInternet.create()) {
      hostNs = net.hostNs;
      internetNs = net.internetNs;
      assertThat(net.fetchFromHost(FakeInternet.SERVER_ADDRESS, FakeInternet.ALLOWED_PORT)).contains(FakeInternet.ALLOWED_BANNER);
      assertThat(net.fetchFromHost(FakeInternet.SERVER_ADDRESS, FakeInternet.DENIED_PORT)).contains(FakeInternet.DENIED_BANNER);
      assertThat(net.fetchFromHost(FakeInternet.METADATA_ADDRESS, FakeInternet.METADATA_PORT)).contains(FakeInternet.METADATA_BANNER);
      assertThat(net.hostLinks()).contains(FakeInternet.UPLINK);
      // The machine's own namespace does not see the fake internet at all.
      assertThat(Shell.run("ip", "-o", "addr").out()).doesNotContain(FakeInternet.HOST_ADDRESS + "/");
    }
    assertThat(HostTraces.netnsNames()).doesNotContain(hostNs, internetNs);
  }

  @Test
  void cliRunsAsTheThrowawayUserWithNoGroupsAndTheUserIsRemoved() {
    assumeRoot();
    String name;
    try (ThrowawayUser u = ThrowawayUser.create()) {
      name = u.name;
      assertThat(u.uid).isPositive();
      Shell.Result id = Shell.run(Duration.ofSeconds(10), Map.of(), null,
          List.of("setpriv", "--reuid=" + u.uid, "--regid=" + u.gid, "--clear-groups", "sh", "-c", "id -u; id -g; id -G"));
      assertThat(id.check().out().split("\n")).containsExactly(
          String.valueOf(u.uid), String.valueOf(u.gid), String.valueOf(u.gid));
    }
    assertThat(Shell.run("id", "-u", name).ok()).isFalse();
  }

  @Test
  void tempTreeRemovalNeverCrossesAMount() throws Exception {
    assumeRoot();
    Path root = Files.createTempDirectory("stk-e2-tree-");
    Path inner = Files.createDirectories(root.resolve("jail/dev"));
    Path guarded = Files.createTempDirectory("stk-e2-guarded-");
    Path precious = Files.writeString(guarded.resolve("precious"), "keep");
    try {
      Shell.runOk("mount", "--bind", guarded.toString(), inner.toString());
      Shell.runOk("mount", "--make-private", inner.toString());
      // removeUnlessMounted unmounts what it can first: the bind mount goes, the file stays.
      TempTree.removeUnlessMounted(root);
      assertThat(precious).exists().hasContent("keep");
      assertThat(root).doesNotExist();
    } finally {
      Shell.run("umount", "-l", inner.toString());
      TempTree.removeUnlessMounted(root);
      TempTree.removeUnlessMounted(guarded);
    }
  }
}
