package io.stockade.client;

/**
 * One extra data disk for a VM sandbox: an empty, sparse disk the guest sees after its root disk
 * ({@code /dev/vdb}, {@code /dev/vdc}, ... in request order under QEMU). It lives and dies with
 * the sandbox: Destroy removes it. The policy limits how many and how big.
 *
 * @param sizeMiB size in MiB, at least 1
 */
public record DataDisk(long sizeMiB) {
  public DataDisk {
    if (sizeMiB < 1) {
      throw new IllegalArgumentException("data disk size must be at least 1 MiB, got " + sizeMiB);
    }
  }

  /** A disk of {@code sizeMiB} MiB. */
  public static DataDisk ofMiB(long sizeMiB) {
    return new DataDisk(sizeMiB);
  }
}
