package io.stockade.supervisor.lifecycle;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots, each in SNAPSHOTS_DIR/ID/ (data/ holds what the driver wrote, snapshot.json what it
 * was taken from). They outlive their sandbox: Restore makes a new sandbox from one.
 */
public final class Snapshots {
  private static final Logger LOG = LoggerFactory.getLogger(Snapshots.class);
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

  private final Path dir;
  private final ObjectMapper json = new ObjectMapper();
  private final Map<String, Stored> byId = new ConcurrentHashMap<>();

  /** A snapshot as its owner sees it (the protocol's SnapshotInfo). */
  public record View(
      String id, String name, String sandboxId, String kind, String image, int ownerUid, int vcpus,
      long memoryMiB, long sizeBytes, String createdAt) {}

  /** What snapshot.json holds. */
  record Stored(View view, SandboxSpec spec) {}

  /** The driver's part of taking a snapshot. */
  interface Action {
    void writeTo(Path dir) throws LifecycleException;
  }

  Snapshots(Path dir) throws IOException {
    this.dir = dir;
    Files.createDirectories(dir);
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path d : ds) {
        Path meta = d.resolve("snapshot.json");
        if (Files.isRegularFile(meta)) {
          try {
            Stored s = json.readValue(meta.toFile(), Stored.class);
            byId.put(s.view().id(), s);
          } catch (IOException e) {
            LOG.error("snapshot {} is unreadable and was skipped: {}", meta, e.getMessage());
          }
        }
      }
    }
  }

  Path dataDir(String snapshotId) {
    return dir.resolve(snapshotId).resolve("data");
  }

  View take(Sandbox sb, String name, Action action) throws LifecycleException {
    if (name == null || !NAME.matcher(name).matches()) {
      throw LifecycleException.invalidParameter("name", "snapshot name must match " + NAME.pattern());
    }
    if (byId.values().stream().anyMatch(s -> s.view().ownerUid() == sb.owner.uid() && s.view().name().equals(name))) {
      throw LifecycleException.invalidParameter("name", "you already have a snapshot named '" + name + "'");
    }
    String id = Ids.newId(byId.keySet());
    Path data = dataDir(id);
    try {
      Files.createDirectories(data);
      action.writeTo(data);
      long size;
      try (var walk = Files.walk(data)) {
        size = walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
      }
      SandboxSpec spec = sb.spec();
      View v = new View(id, name, sb.id, spec.kind(), spec.image().isEmpty() ? null : spec.image(), sb.owner.uid(),
          spec.vcpus(), spec.memoryMiB(), size, Instant.now().toString());
      Stored s = new Stored(v, spec);
      Path tmp = dir.resolve(id).resolve("snapshot.json.tmp");
      json.writeValue(tmp.toFile(), s);
      Files.move(tmp, dir.resolve(id).resolve("snapshot.json"), StandardCopyOption.ATOMIC_MOVE);
      byId.put(id, s);
      return v;
    } catch (IOException e) {
      remove(id);
      throw LifecycleException.internal("cannot write snapshot of " + sb.id + " to " + data + ": " + e, e);
    } catch (LifecycleException | RuntimeException e) {
      remove(id);
      throw e;
    }
  }

  private void remove(String id) {
    try {
      Runner.deleteTree(dir.resolve(id));
    } catch (IOException e) {
      LOG.warn("cannot remove failed snapshot {}: {}", id, e.toString());
    }
  }

  List<View> list(Predicate<View> filter) {
    List<View> out = new ArrayList<>();
    for (Stored s : byId.values()) {
      if (filter.test(s.view())) {
        out.add(s.view());
      }
    }
    out.sort(Comparator.comparing(View::createdAt));
    return out;
  }

  Optional<Located> find(String ref, Predicate<Stored> filter) {
    Stored s = byId.get(ref);
    if (s == null || !filter.test(s)) {
      s = byId.values().stream().filter(x -> x.view().name().equals(ref) && filter.test(x)).findFirst().orElse(null);
    }
    return Optional.ofNullable(s).map(x -> new Located(x.view(), x.spec(), dataDir(x.view().id())));
  }

  /** A stored snapshot and where its data is. */
  record Located(View view, SandboxSpec spec, Path dir) {}
}
