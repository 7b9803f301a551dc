package io.stockade.images;

/** On-disk format of a sandbox's writable disk. */
public enum DiskFormat {
  /** qcow2 overlay backed by the store's raw image; for QEMU and cloud-hypervisor. */
  QCOW2,
  /** Raw file, reflinked or sparse-copied; for Firecracker. */
  RAW
}
