package io.stockade.supervisor.preflight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.supervisor.preflight.CheckResult.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Storage thresholds on real filesystems: small tmpfs mounts of the test's own. */
class StorageChecksTest {
  @TempDir Path tmp;

  private CheckResult onTmpfs(String size, boolean fatal) throws Exception {
    assumeTrue(Libc.geteuid() == 0, "needs root to mount a tmpfs");
    Path mnt = Files.createDirectory(tmp.resolve("stk-op-tmpfs-" + size));
    Commands.Result m =
        Commands.run(Duration.ofSeconds(10), List.of("mount", "-t", "tmpfs", "-o", "size=" + size, "stk-op-tmpfs", mnt.toString()));
    assumeTrue(m.ok(), "mount tmpfs: " + m.describeFailure());
    try {
      return StorageChecks.check(new StorageChecks.Dir("state", mnt, "durable sandbox state", fatal));
    } finally {
      Commands.run(Duration.ofSeconds(10), List.of("umount", mnt.toString()));
    }
  }

  @Test
  void below256MiBFailsBelow2GiBWarns() throws Exception {
    CheckResult small = onTmpfs("100m", true);
    assertThat(small.status()).isEqualTo(Status.FAIL);
    assertThat(small.found()).endsWith("(durable sandbox state): writable, 0.1 GiB free");
    CheckResult medium = onTmpfs("1g", true);
    assertThat(medium.status()).isEqualTo(Status.WARN);
    assertThat(medium.found()).endsWith("writable, 1.0 GiB free");
  }

  @Test
  void aFileWhereADirectoryBelongsIsFatalForState() throws Exception {
    Path file = Files.writeString(tmp.resolve("state"), "");
    CheckResult r = StorageChecks.check(new StorageChecks.Dir("state", file.resolve("sub"), "durable sandbox state", true));
    assertThat(r.status()).isEqualTo(Status.FAIL);
    assertThat(r.fatal()).isTrue();
    assertThat(r.found()).isEqualTo(file.resolve("sub") + " (durable sandbox state): " + file + " is not a directory");
  }

  @Test
  void readOnlyDirectoryIsNotWritable() throws Exception {
    assumeTrue(Libc.geteuid() == 0, "needs root to mount");
    Path mnt = Files.createDirectory(tmp.resolve("stk-op-ro"));
    Commands.Result m =
        Commands.run(Duration.ofSeconds(10), List.of("mount", "-t", "tmpfs", "-o", "ro,size=10m", "stk-op-ro", mnt.toString()));
    assumeTrue(m.ok(), "mount tmpfs: " + m.describeFailure());
    try {
      CheckResult r = StorageChecks.check(new StorageChecks.Dir("images", mnt, "the image store", false));
      assertThat(r.status()).isEqualTo(Status.FAIL);
      assertThat(r.fatal()).isFalse();
      assertThat(r.found()).contains("not writable: FileSystemException").contains("Read-only file system");
    } finally {
      Commands.run(Duration.ofSeconds(10), List.of("umount", mnt.toString()));
    }
  }
}
