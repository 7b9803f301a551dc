package io.stockade.images;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One GC pass, run under the store's exclusive lock: deletes blobs outside {@code keep} (what
 * image and usage records name) and partial downloads of digests outside {@code keep} that no
 * thread or process is writing (their per-blob lock is free).
 */
final class GarbageCollector {
  private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);

  private final StoreLayout layout;
  private final Set<String> keep;
  private final Predicate<String> fetchingHere;

  GarbageCollector(StoreLayout layout, Set<String> keep, Predicate<String> fetchingHere) {
    this.layout = layout;
    this.keep = keep;
    this.fetchingHere = fetchingHere;
  }

  GcResult run() throws ImageException {
    List<String> removed = new ArrayList<>();
    long freed = 0;
    for (Path blob : list(layout.blobs)) {
      String hex = blob.getFileName().toString();
      if (keep.contains(hex) || !Names.isSha256(hex)) {
        continue;
      }
      long size = ImageStore.sizeOf(blob);
      delete(blob);
      removed.add(hex);
      freed += size;
      log.info("gc: removed blob {} ({} bytes)", hex, size);
    }
    int partials = 0;
    for (Path p : list(layout.incoming)) {
      String name = p.getFileName().toString();
      String hex = name.endsWith(".partial") ? name.substring(0, name.length() - ".partial".length()) : "";
      if (keep.contains(hex) || !Names.isSha256(hex) || fetchingHere.test(hex) || lockedElsewhere(hex)) {
        continue;
      }
      delete(p);
      partials++;
    }
    if (!removed.isEmpty()) {
      try {
        StoreLayout.fsyncDirectory(layout.blobs);
      } catch (IOException e) {
        throw new StoreWriteFailed("sync", layout.blobs, e);
      }
    }
    return new GcResult(removed, freed, partials);
  }

  private boolean lockedElsewhere(String hex) {
    try (FileChannel ch = FileChannel.open(layout.lock(hex), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l = ch.tryLock()) {
      return l == null;
    } catch (IOException | java.nio.channels.OverlappingFileLockException e) {
      return true; // cannot tell, or a thread of this process holds it: keep the partial file
    }
  }

  private static List<Path> list(Path dir) throws ImageException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    } catch (IOException e) {
      throw new ImageException("could not list " + dir + ": " + e, e);
    }
  }

  private static void delete(Path p) throws StoreWriteFailed {
    try {
      Files.delete(p);
    } catch (NoSuchFileException e) {
      // Already gone: the goal of the deletion is met.
    } catch (IOException e) {
      throw new StoreWriteFailed("delete", p, e);
    }
  }
}
