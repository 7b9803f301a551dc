package io.stockade.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GC, import, names and writable disks, with file:// sources. */
class StoreTest {
  @TempDir Path tmp;
  private final byte[] kernel = Fixtures.bytes(100_000, 1);
  private final byte[] rootfs = Fixtures.bytes(1024 * 1024, 2); // whole sectors, as disk images are
  private Path kernelFile;
  private Path rootfsFile;

  @BeforeEach
  void files() throws Exception {
    kernelFile = Files.write(tmp.resolve("vmlinuz"), kernel);
    rootfsFile = Files.write(tmp.resolve("rootfs.ext4"), rootfs);
  }

  private ImageStore store() throws Exception {
    return ImageStore.open(tmp.resolve("store"), Fixtures.catalog("img", List.of(kernelFile.toUri()), kernel,
        List.of(rootfsFile.toUri()), rootfs), Fixtures.fastOptions());
  }

  private static boolean hasQemuImg() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, "qemu-img"))) {
        return true;
      }
    }
    return false;
  }

  @Test
  void gcKeepsWhatImagesAndSandboxesUse() throws Exception {
    assumeTrue(hasQemuImg(), "qemu-img is not installed (scripts/setup-debian.sh installs qemu-utils)");
    try (ImageStore s = store()) {
      ResolvedImage img = s.resolve("img", DownloadProgress.NONE);
      Path blobOfNobody = s.importFile(Files.write(tmp.resolve("x"), new byte[] {1, 2, 3}),
          Fixtures.sha256(new byte[] {1, 2, 3}));
      Files.writeString(s.root().resolve("incoming/" + "a".repeat(64) + ".partial"), "abandoned");

      GcResult first = s.gc();
      assertThat(first.removedBlobs()).containsExactly(blobOfNobody.getFileName().toString());
      assertThat(first.partialsRemoved()).isEqualTo(1);
      assertThat(img.kernel()).exists();

      s.createWritableDisk(img, "stk-im-sb1", tmp.resolve("sb1"), DiskFormat.QCOW2);
      assertThat(s.list()).singleElement().satisfies(i -> {
        assertThat(i.complete()).isTrue();
        assertThat(i.usedBy()).containsExactly("stk-im-sb1");
        assertThat(i.bytes()).isEqualTo(kernel.length + rootfs.length);
      });
      GcResult removed = s.remove("img");
      assertThat(removed.removedBlobs()).isEmpty(); // the sandbox still uses kernel and rootfs
      assertThat(s.list()).isEmpty();
      assertThat(img.rootfs().orElseThrow()).exists();
      assertThat(s.gc().removedBlobs()).isEmpty();

      s.release("stk-im-sb1");
      assertThat(s.gc().removedBlobs()).containsExactlyInAnyOrder(Fixtures.sha256(kernel), Fixtures.sha256(rootfs));
      assertThat(img.rootfs().orElseThrow()).doesNotExist();
      assertThatThrownBy(() -> s.remove("img")).isInstanceOf(ImageNotFound.class);
    }
  }

  @Test
  void qcow2OverlayIsSmallAndBackedByTheBlob() throws Exception {
    assumeTrue(hasQemuImg(), "qemu-img is not installed (scripts/setup-debian.sh installs qemu-utils)");
    try (ImageStore s = store()) {
      ResolvedImage img = s.resolve("img", DownloadProgress.NONE);
      Path disk = s.createWritableDisk(img, "stk-im-sb2", tmp.resolve("sb2"), DiskFormat.QCOW2);
      assertThat(disk).isEqualTo(tmp.resolve("sb2/rootfs.qcow2"));
      assertThat(Files.size(disk)).isLessThan(rootfs.length);
      String info = new String(new ProcessBuilder("qemu-img", "info", "--output=json", disk.toString())
          .redirectErrorStream(true).start().getInputStream().readAllBytes());
      assertThat(info).contains("\"backing-filename\": \"" + img.rootfs().orElseThrow() + "\"")
          .contains("\"backing-filename-format\": \"raw\"")
          .contains("\"virtual-size\": " + rootfs.length);
      assertThatThrownBy(() -> s.createWritableDisk(img, "stk-im-sb2", tmp.resolve("sb2"), DiskFormat.QCOW2))
          .isInstanceOf(DiskCreateFailed.class).hasMessageContaining("already exists");
    }
  }

  @Test
  void rawDisksReflinkOrFailUnlessASparseCopyIsAllowed() throws Exception {
    try (ImageStore s = store()) {
      ResolvedImage img = s.resolve("img", DownloadProgress.NONE);
      Path disk;
      try {
        disk = s.createWritableDisk(img, "stk-im-sb3", tmp.resolve("sb3"), DiskFormat.RAW);
      } catch (DiskCreateFailed e) {
        assertThat(e).hasMessageContaining("cannot reflink").hasMessageContaining("QCOW2");
        assertThat(tmp.resolve("sb3/rootfs.raw")).doesNotExist();
        disk = null;
      }
      if (disk == null) {
        try (ImageStore sparse = ImageStore.open(s.root(), s.catalog(),
            Fixtures.fastOptions().withRawSparseCopyFallback(true))) {
          disk = sparse.createWritableDisk(img, "stk-im-sb3", tmp.resolve("sb3"), DiskFormat.RAW);
        }
      }
      assertThat(Files.readAllBytes(disk)).isEqualTo(rootfs);
      assertThat(Files.isWritable(disk)).isTrue();
    }
  }

  @Test
  void importInstallsOnlyMatchingFiles() throws Exception {
    try (ImageStore s = store()) {
      assertThatThrownBy(() -> s.importFile(kernelFile, Fixtures.sha256(rootfs)))
          .isInstanceOf(DigestMismatch.class)
          .hasMessageContaining(kernelFile.toString())
          .hasMessageContaining(Fixtures.sha256(kernel));
      assertThat(DownloadTest.blobs(s)).isEmpty();
      assertThat(DownloadTest.incoming(s)).isEmpty();
      Path blob = s.importFile(kernelFile, Fixtures.sha256(kernel));
      assertThat(blob).hasBinaryContent(kernel);
      assertThat(s.importFile(kernelFile, Fixtures.sha256(kernel))).isEqualTo(blob);
      assertThatThrownBy(() -> s.importFile(rootfsFile, Fixtures.sha256(kernel))) // present, wrong file
          .isInstanceOf(DigestMismatch.class);
      assertThatThrownBy(() -> s.importFile(kernelFile, "../../etc/passwd")).isInstanceOf(ReferenceInvalid.class);
    }
  }

  @Test
  void namesThatCouldEscapeTheStoreAreRefused() throws Exception {
    try (ImageStore s = store()) {
      for (String ref : List.of("../img", "img/../../x", "/etc/passwd", "img:../../x", "img:/abs", "", "IMG", "img:")) {
        assertThatThrownBy(() -> s.resolve(ref, DownloadProgress.NONE)).as(ref).isInstanceOf(ReferenceInvalid.class);
      }
      ResolvedImage img = s.resolve("img", DownloadProgress.NONE);
      for (String id : List.of("../x", "a/b", "/abs", "..", ".hidden", "")) {
        assertThatThrownBy(() -> s.createWritableDisk(img, id, tmp.resolve("d"), DiskFormat.QCOW2))
            .as(id).isInstanceOf(ReferenceInvalid.class);
      }
      ResolvedImage foreign = new ResolvedImage("img", "1", kernelFile, Optional.empty(), Optional.of(rootfsFile),
          "", Set.of("qemu"), "READY");
      assertThatThrownBy(() -> s.createWritableDisk(foreign, "stk-im-sb4", tmp.resolve("d"), DiskFormat.QCOW2))
          .isInstanceOf(ReferenceInvalid.class).hasMessageContaining("only from files of this store");
      s.release("../../x"); // logged and ignored; nothing outside the store is touched
      assertThatThrownBy(() -> s.resolve("other", DownloadProgress.NONE)).isInstanceOf(ImageNotFound.class)
          .hasMessageContaining("img:1");
    }
  }
}
