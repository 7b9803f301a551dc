package io.stockade.images;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where things live in a store directory:
 *
 * <pre>
 * blobs/sha256/HEX        verified files, read-only, named by their digest
 * incoming/HEX.partial    downloads in progress (resumable); never read as a blob
 * locks/HEX.lock          per-blob lock files (cross-process download dedup)
 * images/NAME/VERSION.json   images pulled: which blobs they need
 * usage/SANDBOX.json      blobs a sandbox's disks use (GC keeps them)
 * store.lock              shared by writers of records, exclusive for GC
 * </pre>
 *
 * incoming/ sits on the same filesystem as blobs/, so installing is one atomic rename.
 */
final class StoreLayout {
  final Path root;
  final Path blobs;
  final Path incoming;
  final Path locks;
  final Path images;
  final Path usage;
  final Path storeLock;

  private StoreLayout(Path root) {
    this.root = root;
    this.blobs = root.resolve("blobs").resolve("sha256");
    this.incoming = root.resolve("incoming");
    this.locks = root.resolve("locks");
    this.images = root.resolve("images");
    this.usage = root.resolve("usage");
    this.storeLock = root.resolve("store.lock");
  }

  static StoreLayout create(Path root) throws StoreWriteFailed {
    Path real;
    try {
      real = Files.createDirectories(root.toAbsolutePath()).toRealPath();
    } catch (IOException e) {
      throw new StoreWriteFailed("create store directory", root, e);
    }
    StoreLayout l = new StoreLayout(real); // real path: one lock per store, however it is named
    for (Path d : new Path[] {l.blobs, l.incoming, l.locks, l.images, l.usage}) {
      try {
        Files.createDirectories(d);
      } catch (IOException e) {
        throw new StoreWriteFailed("create store directory", d, e);
      }
    }
    return l;
  }

  Path blob(String hex) {
    return blobs.resolve(hex);
  }

  Path partial(String hex) {
    return incoming.resolve(hex + ".partial");
  }

  Path lock(String hex) {
    return locks.resolve(hex + ".lock");
  }

  /** Makes a verified partial file a blob: read-only, synced, renamed atomically, dir synced. */
  void install(Path partial, String hex) throws StoreWriteFailed {
    Path target = blob(hex);
    try {
      try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("r--r--r--"));
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      fsyncDirectory(blobs);
    } catch (IOException e) {
      throw new StoreWriteFailed("install blob", target, e);
    }
  }

  /** Writes a small file so that readers see the old or the new content, never a torn one. */
  static void writeAtomically(Path target, byte[] data) throws StoreWriteFailed {
    // A name of its own per writer: concurrent writers of one record must not share a temp file.
    Path tmp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid()
        + "-" + Thread.currentThread().getId() + "-" + System.nanoTime() + ".tmp");
    try {
      Files.createDirectories(target.getParent());
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(data));
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("atomic rename not supported", e);
      }
      fsyncDirectory(target.getParent());
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new StoreWriteFailed("write", target, e);
    }
  }

  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // Best effort: callers use this while already reporting a more relevant error.
    }
  }
}
