package io.stockade.supervisor.jail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

/**
 * The whole-disk block devices ("MAJ:MIN") that hold a set of paths: what a sandbox's I/O limits
 * are written for. Throttling works per device, and the kernel throttles a partition's I/O at
 * its disk (blk-throttle and io.max take a whole-disk or device-mapper device, never a
 * partition), so a partition is mapped to its parent through /sys/dev/block/MAJ:MIN. A path on a
 * filesystem with no block device (tmpfs, overlay's anonymous device, procfs) adds nothing: its
 * I/O never reaches a disk.
 */
final class BlockDevices {
  private BlockDevices() {}

  /** The devices holding {@code paths}, sorted; {@code sysDevBlock} is normally /sys/dev/block. */
  static Set<String> holding(Collection<Path> paths, Path sysDevBlock) throws JailException {
    Set<String> out = new TreeSet<>();
    for (Path p : paths) {
      long dev;
      try {
        dev = ((Number) Files.getAttribute(p, "unix:dev")).longValue();
      } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
        throw new JailException("io_devices", e instanceof IOException ? Errno.of((IOException) e) : 0,
            "stat " + p + " to find the block device its I/O limit applies to: " + e.getMessage());
      }
      wholeDisk(major(dev) + ":" + minor(dev), sysDevBlock).ifPresent(out::add);
    }
    return out;
  }

  // glibc's gnu_dev_major/minor: the split of a 64-bit dev_t.
  static long major(long dev) {
    return ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
  }

  static long minor(long dev) {
    return (dev & 0xff) | ((dev >>> 12) & ~0xffL);
  }

  static java.util.Optional<String> wholeDisk(String majMin, Path sysDevBlock) throws JailException {
    Path node = sysDevBlock.resolve(majMin);
    if (!Files.exists(node)) {
      return java.util.Optional.empty(); // no block device behind this filesystem
    }
    if (!Files.exists(node.resolve("partition"))) {
      return java.util.Optional.of(majMin);
    }
    // The link points into /sys/devices/...; a partition's directory sits in its disk's.
    Path parentDev = node.resolve("../dev");
    try {
      return java.util.Optional.of(Files.readString(node.toRealPath().getParent().resolve("dev")).trim());
    } catch (IOException e) {
      throw new JailException("io_devices", Errno.of(e), "read " + parentDev + " (the disk of partition " + majMin
          + "): " + e.getMessage() + ": is /sys mounted?");
    }
  }
}
