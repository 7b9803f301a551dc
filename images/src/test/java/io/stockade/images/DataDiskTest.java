package io.stockade.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Empty data disks: real qemu-img, size and format read back with qemu-img info. */
class DataDiskTest {
  @TempDir Path tmp;

  private static boolean hasQemuImg() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, "qemu-img"))) {
        return true;
      }
    }
    return false;
  }

  private static JsonNode info(Path disk) throws Exception {
    Process p = new ProcessBuilder("qemu-img", "info", "--output=json", disk.toString()).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).isZero();
    return new ObjectMapper().readTree(out);
  }

  @Test
  void storeCreatesASparseQcow2OfTheRequestedSize() throws Exception {
    assumeTrue(hasQemuImg(), "qemu-img is not installed (scripts/setup-debian.sh installs qemu-utils)");
    try (ImageStore s = ImageStore.open(tmp.resolve("store"), Fixtures.catalog("img",
        List.of(tmp.toUri()), new byte[1], List.of(tmp.toUri()), new byte[512]), Fixtures.fastOptions())) {
      Path disk = s.createDataDisk(tmp.resolve("sb/data-0.qcow2"), 4096);
      assertThat(disk).isEqualTo(tmp.resolve("sb/data-0.qcow2")).isRegularFile();
      JsonNode info = info(disk);
      assertThat(info.get("format").asText()).isEqualTo("qcow2");
      assertThat(info.get("virtual-size").asLong()).isEqualTo(4096L * 1024 * 1024);
      assertThat(info.has("backing-filename")).isFalse();
      // 4 GiB virtual, but only qcow2 metadata on the host
      assertThat(Files.size(disk)).isLessThan(1024 * 1024);
      assertThatThrownBy(() -> s.createDataDisk(disk, 1))
          .isInstanceOf(DiskCreateFailed.class).hasMessageContaining("already exists");
      assertThat(info(disk).get("virtual-size").asLong()).as("the existing disk is untouched")
          .isEqualTo(4096L * 1024 * 1024);
    }
  }

  @Test
  void defaultMethodWorksWithoutAStoreAndRefusesNonsense() throws Exception {
    assumeTrue(hasQemuImg(), "qemu-img is not installed (scripts/setup-debian.sh installs qemu-utils)");
    ImageResolver bare = new ImageResolver() {
      @Override
      public ResolvedImage resolve(String reference, DownloadProgress progress) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Path createWritableDisk(ResolvedImage image, String sandboxId, Path directory, DiskFormat format) {
        throw new UnsupportedOperationException();
      }

      @Override
      public void release(String sandboxId) {}
    };
    Path disk = bare.createDataDisk(tmp.resolve("d.qcow2"), 1);
    assertThat(info(disk).get("virtual-size").asLong()).isEqualTo(1024L * 1024);
    assertThatThrownBy(() -> bare.createDataDisk(tmp.resolve("zero.qcow2"), 0))
        .isInstanceOf(DiskCreateFailed.class).hasMessageContaining("at least 1 MiB");
    assertThat(tmp.resolve("zero.qcow2")).doesNotExist();
  }

  @Test
  void aMissingQemuImgNamesTheRemedy() {
    WritableDisks disks = new WritableDisks(new StoreOptions(java.time.Duration.ofSeconds(1),
        java.time.Duration.ofSeconds(1), 1, java.time.Duration.ZERO, tmp.resolve("no-qemu-img").toString(),
        java.time.Duration.ofSeconds(5), false));
    assertThatThrownBy(() -> disks.createEmpty(tmp.resolve("x.qcow2"), 10))
        .isInstanceOf(DiskCreateFailed.class).hasMessageContaining("install qemu-utils");
    assertThat(tmp.resolve("x.qcow2")).doesNotExist();
  }
}
