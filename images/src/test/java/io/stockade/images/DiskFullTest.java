package io.stockade.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A store on a 2 MiB tmpfs (a real full disk); needs root to mount, skips otherwise. */
class DiskFullTest {
  private Path mountPoint;
  private boolean mounted;

  @BeforeEach
  void mount() throws Exception {
    mountPoint = Files.createTempDirectory("stk-im-full-");
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "stk-im-full", mountPoint.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    mounted = p.waitFor() == 0;
    assumeTrue(mounted, "cannot mount a tmpfs (needs root): " + out.strip());
  }

  @AfterEach
  void unmount() throws Exception {
    if (mounted) {
      new ProcessBuilder("umount", mountPoint.toString()).inheritIO().start().waitFor();
    }
    Files.deleteIfExists(mountPoint);
  }

  @Test
  void aFullDiskFailsClearlyAndGivesTheSpaceBack() throws Exception {
    byte[] big = Fixtures.bytes(4 * 1024 * 1024, 3);
    try (TestServer server = new TestServer().serve("/big", big);
        ImageStore s = ImageStore.open(mountPoint.resolve("store"),
            Fixtures.catalog("img", List.of(server.url("/big")), big, null, null), Fixtures.fastOptions())) {
      assertThatThrownBy(() -> s.resolve("img", DownloadProgress.NONE))
          .isInstanceOf(StoreWriteFailed.class)
          .hasMessageContaining("ENOSPC")
          .hasMessageContaining("free space");
      assertThat(DownloadTest.blobs(s)).isEmpty();
      assertThat(DownloadTest.incoming(s)).isEmpty();
      assertThat(server.count("/big")).isEqualTo(1); // a full disk is not retried
    }
  }
}
