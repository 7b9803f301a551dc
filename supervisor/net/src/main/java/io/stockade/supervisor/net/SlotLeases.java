package io.stockade.supervisor.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Slot leases as files {@code <stateDir>/slot-<n>} holding the sandbox id. Creating the file with
 * O_CREAT|O_EXCL is the lock: it is atomic across threads and processes, and the file outlives a
 * crash so a restarted supervisor knows which slots are taken and by whom. A lease file that is
 * empty or unreadable was left by a crash between create and write; reconcile removes it.
 */
final class SlotLeases {
  private final Path dir;
  private final int first;
  private final int count;
  private int next;
  /** What this process knows of the leases (the files stay authoritative for reconcile). */
  private final Map<Integer, String> known = new java.util.concurrent.ConcurrentHashMap<>();

  SlotLeases(Path dir, int first, int count) throws NetworkException {
    this.dir = dir;
    this.first = first;
    this.count = count;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new NetworkException("create state directory",
          "cannot create " + dir + ": " + e + ": make its parent writable by the supervisor", e);
    }
    known.putAll(all());
  }

  /** Takes the next free slot for {@code sandboxId}. */
  synchronized int acquire(String sandboxId) throws NetworkException {
    byte[] id = sandboxId.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < count; i++) {
      int slot = first + Math.floorMod(next + i, count);
      Path file = file(slot);
      try {
        // No fsync: existence is the lock (page cache is shared by all processes); after a power
        // loss the sandboxes are gone too, and reconcile removes whatever the lease names.
        Files.write(file, id, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        known.put(slot, sandboxId);
        next = slot - first + 1;
        return slot;
      } catch (FileAlreadyExistsException taken) {
        // in use by another sandbox (or another process); try the next one
      } catch (IOException e) {
        throw new NetworkException("lease slot", "cannot create lease " + file + ": " + e, e);
      }
    }
    throw new NetworkException("lease slot",
        "all " + count + " network slots are leased (" + dir + "): destroy sandboxes, run"
            + " reconcile to free leases of dead ones, or raise NetConfig.slotCount");
  }

  /** Rewrites a held lease for a new owner (temp file + rename: never a torn lease). */
  void assign(int slot, String sandboxId) throws NetworkException {
    Path file = file(slot);
    Path tmp = dir.resolve(".slot-" + slot + ".tmp");
    try {
      Files.write(tmp, sandboxId.getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
          StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      known.put(slot, sandboxId);
    } catch (IOException e) {
      throw new NetworkException("lease slot", "cannot rewrite lease " + file + ": " + e, e);
    }
  }

  void release(int slot) {
    known.remove(slot);
    try {
      Files.deleteIfExists(file(slot));
    } catch (IOException e) {
      // reconcile retries: a lease without a live sandbox is an orphan
    }
  }

  /** Every lease on disk: slot to sandbox id (empty id for a lease torn by a crash). */
  Map<Integer, String> all() {
    Map<Integer, String> leases = new HashMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.forEach(f -> {
        String name = f.getFileName().toString();
        if (name.matches("slot-\\d{1,4}")) {
          leases.put(Integer.parseInt(name.substring(5)), read(f).orElse(""));
        }
      });
    } catch (IOException e) {
      // an unreadable state directory looks empty; attach will fail on it with a clear error
    }
    return leases;
  }

  /** The slot leased to {@code sandboxId} (in memory: no directory scan on the attach path). */
  Optional<Integer> find(String sandboxId) {
    return known.entrySet().stream()
        .filter(e -> e.getValue().equals(sandboxId))
        .map(Map.Entry::getKey)
        .findFirst();
  }

  private static Optional<String> read(Path f) {
    try {
      return Optional.of(Files.readString(f, StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private Path file(int slot) {
    return dir.resolve("slot-" + slot);
  }
}
