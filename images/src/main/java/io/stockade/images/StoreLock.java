package io.stockade.images;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Readers/writer lock over the store that holds across threads and processes: record writers
 * (resolve, createWritableDisk, release) share it, GC and remove hold it alone. A JVM may hold
 * one lock per file only (a second throws OverlappingFileLockException), so the threads of this
 * process share a single shared file lock, taken by the first reader and dropped by the last.
 */
final class StoreLock {
  interface Held extends AutoCloseable {
    @Override
    void close();
  }

  private static final java.util.concurrent.ConcurrentHashMap<Path, StoreLock> BY_FILE =
      new java.util.concurrent.ConcurrentHashMap<>();

  private final Path file;
  private final ReentrantReadWriteLock threads = new ReentrantReadWriteLock();
  private int sharedHolders;
  private FileChannel sharedChannel;
  private FileLock sharedLock;

  private StoreLock(Path file) {
    this.file = file;
  }

  /** The one lock object of this JVM for {@code file} (several stores may open one directory). */
  static StoreLock forFile(Path file) {
    return BY_FILE.computeIfAbsent(file.toAbsolutePath().normalize(), StoreLock::new);
  }

  Held shared() throws StoreWriteFailed {
    threads.readLock().lock();
    synchronized (this) {
      if (sharedHolders == 0) {
        try {
          sharedChannel = open();
          sharedLock = sharedChannel.lock(0, Long.MAX_VALUE, true);
        } catch (IOException e) {
          closeQuietly(sharedChannel);
          threads.readLock().unlock();
          throw new StoreWriteFailed("lock (shared)", file, e);
        }
      }
      sharedHolders++;
    }
    return () -> {
      synchronized (this) {
        if (--sharedHolders == 0) {
          closeQuietly(sharedChannel); // closing the channel releases the lock
          sharedChannel = null;
          sharedLock = null;
        }
      }
      threads.readLock().unlock();
    };
  }

  Held exclusive() throws StoreWriteFailed {
    threads.writeLock().lock();
    FileChannel ch = null;
    try {
      ch = open();
      ch.lock();
    } catch (IOException e) {
      closeQuietly(ch);
      threads.writeLock().unlock();
      throw new StoreWriteFailed("lock (exclusive)", file, e);
    }
    FileChannel held = ch;
    return () -> {
      closeQuietly(held);
      threads.writeLock().unlock();
    };
  }

  private FileChannel open() throws IOException {
    return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch == null) {
      return;
    }
    try {
      ch.close();
    } catch (IOException e) {
      // Closing a lock file cannot lose data; the lock is gone either way.
    }
  }
}
