package io.stockade.supervisor.vmm.support;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** File helpers shared by the drivers: removal that tolerates what is already gone. */
public final class SandboxFiles {
  private SandboxFiles() {}

  /** Deletes {@code path} (file or tree); absent is fine. Never follows symlinks out of it. */
  public static void deleteRecursively(Path path) {
    if (path == null || !Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      Files.walkFileTree(
          path,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
              Files.deleteIfExists(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (NoSuchFileException e) {
      // Removed concurrently: the goal is reached.
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot remove " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Gives a disk the jailed VMM writes to the uid the jail will run it as (reserved ahead of the
   * launch), mode 0600: no other sandbox uid and no host user can open it.
   */
  public static void giveToSandbox(io.stockade.supervisor.jail.JailLauncher jail, String sandboxId, Path file)
      throws io.stockade.supervisor.vmm.VmmException {
    int uid;
    try {
      uid = jail.reserveUid(sandboxId);
    } catch (io.stockade.supervisor.jail.JailException e) {
      throw new io.stockade.supervisor.vmm.VmmException(
          "launch " + sandboxId + ": cannot reserve the sandbox's uid for its disk: " + e.getMessage(), e);
    }
    try {
      Files.setAttribute(file, "unix:uid", uid);
      Files.setAttribute(file, "unix:gid", uid);
      Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    } catch (IOException | UnsupportedOperationException e) {
      throw new io.stockade.supervisor.vmm.VmmException(
          "launch " + sandboxId + ": cannot give " + file + " to uid " + uid + ": " + e.getMessage(), e);
    }
  }

  /**
   * Snapshot files a later jail (run as another uid) reads through a bind mount of the snapshot
   * directory: the files 0644 and the directory 0755. Whoever keeps snapshots keeps them below a
   * directory closed to other host users (the daemon's state directory is 0700).
   */
  public static void readableBySandboxes(Path file) throws java.io.IOException {
    Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    Files.setPosixFilePermissions(file.getParent(), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  public static void deleteQuietly(Path file) {
    try {
      if (file != null) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      // Best effort during cleanup; the caller already reports the primary failure.
    }
  }
}
