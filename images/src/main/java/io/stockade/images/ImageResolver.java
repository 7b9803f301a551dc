package io.stockade.images;

import java.nio.file.Path;

/**
 * Turns an image reference into verified files on local disk, downloading on first use, and
 * derives per-sandbox writable disks from them.
 */
public interface ImageResolver {

  /**
   * Resolves {@code name} or {@code name:version} from the catalog, downloading and verifying
   * what the store lacks. Concurrent callers for the same image share one download.
   */
  ResolvedImage resolve(String reference, DownloadProgress progress) throws ImageException;

  /**
   * Creates a writable disk for one sandbox from an image's root filesystem without copying it
   * whole: a qcow2 overlay for {@link DiskFormat#QCOW2}, a reflink or sparse copy for
   * {@link DiskFormat#RAW}. The store records that the sandbox uses the image (GC keeps it).
   */
  Path createWritableDisk(ResolvedImage image, String sandboxId, Path directory, DiskFormat format)
      throws ImageException;

  /**
   * Creates an empty, sparse qcow2 data disk of {@code sizeMiB} MiB at {@code file} (which must
   * not exist) with qemu-img. Data disks use no image; the caller places them in the sandbox's
   * directory so that removing the sandbox removes them. This default uses {@code qemu-img} from
   * PATH with {@link StoreOptions#defaults()}' timeout; the store uses its own options.
   */
  default Path createDataDisk(Path file, long sizeMiB) throws ImageException {
    return new WritableDisks(StoreOptions.defaults()).createEmpty(file, sizeMiB);
  }

  /** Records that a sandbox no longer uses any image (its disks are removed by the caller). */
  void release(String sandboxId);
}
