package io.stockade.images;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The store's small JSON records: which blobs each pulled image needs ({@code images/}) and
 * which blobs each sandbox's disks use ({@code usage/}). Both are written atomically before the
 * blobs they name are relied on, so GC, which keeps everything they name, never races a pull or
 * a disk creation. A record GC cannot read stops GC rather than being ignored.
 */
final class StoreRecords {
  record ImageRecord(String name, String version, Map<String, String> files) {}

  record UsageRecord(String sandboxId, List<String> blobs) {}

  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  private final StoreLayout layout;

  StoreRecords(StoreLayout layout) {
    this.layout = layout;
  }

  void writeImage(CatalogEntry e) throws StoreWriteFailed {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("kernel", e.kernel().sha256());
    e.initrd().ifPresent(f -> files.put("initrd", f.sha256()));
    e.rootfs().ifPresent(f -> files.put("rootfs", f.sha256()));
    write(imagePath(e.name(), e.version()), new ImageRecord(e.name(), e.version(), files));
  }

  Path imagePath(String name, String version) {
    return layout.images.resolve(name).resolve(version + ".json");
  }

  List<ImageRecord> images() throws ImageException {
    List<ImageRecord> out = new ArrayList<>();
    try (Stream<Path> names = Files.list(layout.images)) {
      for (Path dir : names.sorted().toList()) {
        if (!Files.isDirectory(dir)) {
          continue;
        }
        try (Stream<Path> versions = Files.list(dir)) {
          for (Path f : versions.filter(StoreRecords::isRecord).sorted().toList()) {
            out.add(read(f, ImageRecord.class));
          }
        }
      }
    } catch (IOException e) {
      throw new ImageException("could not list " + layout.images + ": " + e, e);
    }
    return out;
  }

  /** Adds {@code blobs} to the sandbox's usage record. */
  void addUsage(String sandboxId, List<String> blobs) throws ImageException {
    Path p = usagePath(sandboxId);
    Set<String> all = new TreeSet<>(blobs);
    if (Files.exists(p)) {
      all.addAll(read(p, UsageRecord.class).blobs());
    }
    write(p, new UsageRecord(sandboxId, List.copyOf(all)));
  }

  boolean dropUsage(String sandboxId) throws IOException {
    boolean existed = Files.deleteIfExists(usagePath(sandboxId));
    if (existed) {
      StoreLayout.fsyncDirectory(layout.usage);
    }
    return existed;
  }

  /** Sandbox id to the blobs it uses. */
  Map<String, List<String>> usage() throws ImageException {
    Map<String, List<String>> out = new LinkedHashMap<>();
    try (Stream<Path> s = Files.list(layout.usage)) {
      for (Path f : s.filter(StoreRecords::isRecord).sorted().toList()) {
        UsageRecord r = read(f, UsageRecord.class);
        out.put(r.sandboxId(), r.blobs());
      }
    } catch (IOException e) {
      throw new ImageException("could not list " + layout.usage + ": " + e, e);
    }
    return out;
  }

  private Path usagePath(String sandboxId) {
    return layout.usage.resolve(sandboxId + ".json");
  }

  private static boolean isRecord(Path f) {
    String n = f.getFileName().toString();
    return n.endsWith(".json") && !n.startsWith(".");
  }

  private static void write(Path p, Object record) throws StoreWriteFailed {
    byte[] json;
    try {
      json = MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(record);
    } catch (IOException e) {
      throw new StoreWriteFailed("serialise", p, e);
    }
    StoreLayout.writeAtomically(p, json);
  }

  private static <T> T read(Path p, Class<T> type) throws ImageException {
    try {
      return MAPPER.readValue(p.toFile(), type);
    } catch (IOException e) {
      throw new ImageException("store record " + p + " is unreadable (" + e.getMessage()
          + "): GC stops rather than guess what it protects; fix or remove the file", e);
    }
  }
}
