package io.stockade.supervisor.jail;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Hands each sandbox its own uid (gid = uid), like systemd's DynamicUser: one lease file per uid
 * in use, named after the uid and holding the sandbox id. Allocation runs under a lock file (and
 * a monitor, because a JVM cannot take the same file lock twice), so two supervisors sharing the
 * lease directory cannot pick the same uid. A uid is never handed out while a lease names it or a
 * process runs as it; a lease is released only after the sandbox's cgroup is empty and its jail
 * directory gone, so no file of the jails directory is owned by a free uid.
 */
final class UidAllocator {
  /** A JVM cannot hold one file lock twice (OverlappingFileLockException): allocators take turns. */
  private static final Object JVM_LOCK = new Object();

  private final Path leaseDir;
  private final int base;
  private final int count;
  private final Path procDir;
  private int cursor;

  UidAllocator(Path leaseDir, int base, int count, Path procDir) {
    this.leaseDir = leaseDir;
    this.base = base;
    this.count = count;
    this.procDir = procDir;
  }

  int allocate(String sandboxId) throws JailException {
    synchronized (JVM_LOCK) {
      return allocateLocked(sandboxId);
    }
  }

  private int allocateLocked(String sandboxId) throws JailException {
    try {
      Files.createDirectories(leaseDir);
    } catch (IOException e) {
      throw new JailException("uid_lease", Errno.of(e), "mkdir " + leaseDir + ": " + e.getMessage());
    }
    Path lockFile = leaseDir.resolve(".lock");
    try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = ch.lock()) {
      Set<Integer> running = runningUids();
      for (int i = 0; i < count; i++) {
        int uid = base + (cursor + i) % count;
        if (running.contains(uid)) {
          continue;
        }
        Path lease = leaseDir.resolve(Integer.toString(uid));
        try {
          Files.writeString(lease, sandboxId, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException taken) {
          continue;
        }
        cursor = (cursor + i + 1) % count;
        return uid;
      }
    } catch (IOException e) {
      throw new JailException("uid_lease", Errno.of(e), "lease in " + leaseDir + ": " + e.getMessage());
    }
    throw new JailException("uid_allocate", Errno.ENOSPC,
        "all " + count + " uids from " + base + " are leased in " + leaseDir
            + ": destroy sandboxes, remove stale leases with cleanup, or widen the uid range");
  }

  /** The uid leased to {@code sandboxId}, if any. */
  OptionalInt find(String sandboxId) {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(leaseDir, "[0-9]*")) {
      for (Path lease : ds) {
        if (Files.readString(lease).equals(sandboxId)) {
          return OptionalInt.of(Integer.parseInt(lease.getFileName().toString()));
        }
      }
    } catch (IOException | NumberFormatException e) {
      // no lease directory yet, or a lease vanished while we read: no lease for this sandbox
    }
    return OptionalInt.empty();
  }

  void release(int uid) throws JailException {
    try {
      Files.deleteIfExists(leaseDir.resolve(Integer.toString(uid)));
    } catch (IOException e) {
      throw new JailException("uid_release", Errno.of(e), "remove lease " + leaseDir.resolve(Integer.toString(uid)) + ": " + e.getMessage());
    }
  }

  /**
   * Uids in our range that own a process. /proc/PID belongs to the process's euid while it is
   * dumpable; a process between setuid and execve is not (then /proc/PID is root's), but such a
   * process is one of our own launches, whose lease already holds the uid.
   */
  private Set<Integer> runningUids() {
    Set<Integer> uids = new HashSet<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(procDir, "[0-9]*")) {
      for (Path p : ds) {
        try {
          int uid = (Integer) Files.getAttribute(p, "unix:uid");
          if (uid >= base && uid < base + count) {
            uids.add(uid);
          }
        } catch (IOException e) {
          // the process exited while we looked
        }
      }
    } catch (IOException e) {
      // without /proc we rely on the leases alone
    }
    return uids;
  }
}
