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
   * Makes a disk the jailed VMM writes readable and writable by any uid. The jail's uid is
   * allocated inside the launch, so the file cannot be given to it beforehand; what keeps other
   * users out is the sandbox directory (0700, root), and other sandboxes never get the file bound
   * into their jails. A bind mount does not need the path's directories to be searchable.
   */
  public static void openToSandbox(Path file) throws java.io.IOException {
    Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
  }

  /** Snapshot files a later jail (another uid) must read: world-readable inside a 0700 directory. */
  public static void readableBySandboxes(Path file) throws java.io.IOException {
    Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
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
