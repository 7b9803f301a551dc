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

  /** Records that a sandbox no longer uses any image (its disks are removed by the caller). */
  void release(String sandboxId);
}
