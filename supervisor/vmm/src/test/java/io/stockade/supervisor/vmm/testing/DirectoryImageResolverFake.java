package io.stockade.supervisor.vmm.testing;

import io.stockade.images.DiskFormat;
import io.stockade.images.DownloadProgress;
import io.stockade.images.ImageException;
import io.stockade.images.ImageResolver;
import io.stockade.images.ResolvedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Test stand-in for the images module's resolver until it is merged: serves the one image of
 * an image directory (vmlinuz, initramfs.cpio.gz, rootfs.ext4 as scripts/build-image writes
 * them) and makes real writable disks with qemu-img (qcow2 overlay) or a sparse copy (raw).
 */
public final class DirectoryImageResolverFake implements ImageResolver {
  public static final String READY_LINE = "STOCKADE-READY";
  private final ResolvedImage image;

  private DirectoryImageResolverFake(ResolvedImage image) {
    this.image = image;
  }

  /** Empty when the directory lacks the image (the test then skips with that reason). */
  public static Optional<DirectoryImageResolverFake> of(Path dir) {
    Path kernel = dir.resolve("vmlinuz");
    Path initrd = dir.resolve("initramfs.cpio.gz");
    Path rootfs = dir.resolve("rootfs.ext4");
    if (!Files.isRegularFile(kernel) || !Files.isRegularFile(initrd)) {
      return Optional.empty();
    }
    return Optional.of(new DirectoryImageResolverFake(new ResolvedImage(
        "default", "test", kernel, Optional.of(initrd),
        Files.isRegularFile(rootfs) ? Optional.of(rootfs) : Optional.empty(),
        "console=ttyS0 panic=-1 quiet", Set.of("qemu"), READY_LINE)));
  }

  public ResolvedImage image() {
    return image;
  }

  @Override
  public ResolvedImage resolve(String reference, DownloadProgress progress) {
    return image;
  }

  @Override
  public Path createWritableDisk(ResolvedImage image, String sandboxId, Path directory, DiskFormat format)
      throws ImageException {
    Path rootfs = image.rootfs().orElseThrow(() -> new ImageException("image has no rootfs"));
    try {
      if (format == DiskFormat.RAW) {
        Path disk = directory.resolve("disk.raw");
        run("cp", "--sparse=always", rootfs.toString(), disk.toString());
        return disk;
      }
      Path disk = directory.resolve("disk.qcow2");
      run("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", rootfs.toString(), disk.toString());
      return disk;
    } catch (IOException e) {
      throw new ImageException("writable disk for " + sandboxId + ": " + e.getMessage(), e);
    }
  }

  private static void run(String... cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(String.join(" ", cmd) + " failed: "
            + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      p.destroyForcibly();
    }
  }

  @Override
  public void release(String sandboxId) {}
}
