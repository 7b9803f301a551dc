package io.stockade.images;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteException;
import org.apache.commons.exec.ExecuteWatchdog;
import org.apache.commons.exec.PumpStreamHandler;

/**
 * Derives a sandbox's writable disk from a blob without copying its data: a qcow2 overlay whose
 * backing file is the blob (QEMU, cloud-hypervisor), or a reflink of the blob (Firecracker needs
 * a raw file). Where the filesystem cannot reflink, RAW fails unless the store was told to fall
 * back to a sparse copy, because a silent full copy would turn a millisecond step into seconds.
 */
final class WritableDisks {
  private final StoreOptions options;

  WritableDisks(StoreOptions options) {
    this.options = options;
  }

  Path create(Path blob, Path directory, DiskFormat format) throws DiskCreateFailed {
    Path target = directory.resolve(format == DiskFormat.QCOW2 ? "rootfs.qcow2" : "rootfs.raw");
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new DiskCreateFailed(target, "cannot create " + directory + ": " + e, e);
    }
    if (Files.exists(target)) {
      throw new DiskCreateFailed(target, "it already exists: each sandbox gets a fresh directory");
    }
    if (format == DiskFormat.QCOW2) {
      // -F raw: never let qemu probe the backing format (a raw image could pose as qcow2).
      run(target, options.qemuImg(), "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
          blob.toString(), target.toString());
    } else {
      try {
        run(target, "cp", "--reflink=always", "--no-preserve=all", blob.toString(), target.toString());
      } catch (DiskCreateFailed e) {
        StoreLayout.deleteQuietly(target);
        if (!options.rawSparseCopyFallback()) {
          throw new DiskCreateFailed(target, "the store's filesystem cannot reflink " + blob
              + " (ext4 cannot; XFS and btrfs can): move the store to such a filesystem, use QCOW2,"
              + " or enable the sparse-copy fallback (a full read of the image)", e);
        }
        run(target, "cp", "--sparse=always", "--no-preserve=all", blob.toString(), target.toString());
      }
      try {
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r-----"));
      } catch (IOException e) {
        throw new DiskCreateFailed(target, "cannot make it writable: " + e, e);
      }
    }
    return target;
  }

  /**
   * An empty qcow2 of {@code sizeMiB} MiB at {@code target}: sparse (a few hundred KiB until the
   * guest writes), so asking for a large disk costs no host space up front.
   */
  Path createEmpty(Path target, long sizeMiB) throws DiskCreateFailed {
    if (sizeMiB < 1) {
      throw new DiskCreateFailed(target, "size " + sizeMiB + " MiB: a data disk needs at least 1 MiB");
    }
    try {
      Files.createDirectories(target.getParent());
    } catch (IOException e) {
      throw new DiskCreateFailed(target, "cannot create " + target.getParent() + ": " + e, e);
    }
    if (Files.exists(target)) {
      throw new DiskCreateFailed(target, "it already exists: remove it or use it as it is");
    }
    run(target, options.qemuImg(), "create", "-q", "-f", "qcow2", target.toString(), sizeMiB + "M");
    return target;
  }

  private void run(Path target, String program, String... args) throws DiskCreateFailed {
    CommandLine cmd = new CommandLine(program);
    cmd.addArguments(args, false);
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    DefaultExecutor exec = DefaultExecutor.builder().get();
    exec.setStreamHandler(new PumpStreamHandler(output));
    ExecuteWatchdog dog = ExecuteWatchdog.builder().setTimeout(options.commandTimeout()).get();
    exec.setWatchdog(dog);
    try {
      exec.execute(cmd);
    } catch (ExecuteException e) {
      StoreLayout.deleteQuietly(target);
      throw new DiskCreateFailed(target, String.join(" ", cmd.toStrings()) + " "
          + (dog.killedProcess() ? "timed out after " + options.commandTimeout().toSeconds() + " s"
              : "exited " + e.getExitValue()) + ": " + output.toString(StandardCharsets.UTF_8).strip(), e);
    } catch (IOException e) {
      StoreLayout.deleteQuietly(target);
      throw new DiskCreateFailed(target, "cannot run " + program + " (" + e.getMessage()
          + "): install qemu-utils and coreutils (scripts/setup-debian.sh)", e);
    }
  }
}
