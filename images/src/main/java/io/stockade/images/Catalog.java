package io.stockade.images;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The images Stockade knows: the shipped default catalog (which names no download host, only
 * the default image's name) merged with the operator's catalog files, in order. An image
 * {@code name:version} may appear once across all of them.
 */
public final class Catalog {
  static final String SHIPPED_RESOURCE = "default-catalog.json";

  private final Map<String, CatalogEntry> entries; // by name:version, in catalog order
  private final Optional<String> defaultImage;

  private Catalog(Map<String, CatalogEntry> entries, Optional<String> defaultImage) {
    this.entries = entries;
    this.defaultImage = defaultImage;
  }

  /** The shipped catalog alone. */
  public static Catalog shipped() throws CatalogInvalid {
    return load(List.of());
  }

  /**
   * The shipped catalog followed by {@code files}; a directory stands for the {@code *.json}
   * files in it, in name order.
   */
  public static Catalog load(List<Path> files) throws CatalogInvalid {
    List<CatalogParser.Document> docs = new ArrayList<>();
    docs.add(parseShipped());
    for (Path p : files) {
      for (Path file : expand(p)) {
        docs.add(CatalogParser.parse(file));
      }
    }
    return merge(docs);
  }

  /** Parses one catalog document given as text (for tests and tools). */
  public static Catalog parse(String json, String sourceName) throws CatalogInvalid {
    return merge(List.of(CatalogParser.parse(json, sourceName, null)));
  }

  /** Every entry, in catalog order. */
  public List<CatalogEntry> entries() {
    return List.copyOf(entries.values());
  }

  /** The image the catalogs name as default ({@code defaultImage}), if any. */
  public Optional<String> defaultImage() {
    return defaultImage;
  }

  /**
   * Finds {@code name:version}, or for a bare {@code name} the entry listed last (catalogs list
   * versions oldest first).
   */
  public CatalogEntry find(String reference) throws ImageException {
    String[] parts = Names.parseReference(reference);
    if (parts[1] != null) {
      CatalogEntry e = entries.get(reference);
      if (e != null) {
        return e;
      }
    } else {
      CatalogEntry last = null;
      for (CatalogEntry e : entries.values()) {
        if (e.name().equals(parts[0])) {
          last = e;
        }
      }
      if (last != null) {
        return last;
      }
    }
    throw new ImageNotFound(reference, entries.keySet());
  }

  private static CatalogParser.Document parseShipped() throws CatalogInvalid {
    String source = "classpath:io/stockade/images/" + SHIPPED_RESOURCE;
    try (InputStream in = Catalog.class.getResourceAsStream(SHIPPED_RESOURCE)) {
      if (in == null) {
        throw new CatalogInvalid(source, "", "missing from the stockade-images jar");
      }
      return CatalogParser.parse(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8), source, null);
    } catch (IOException e) {
      throw new CatalogInvalid(source, "could not read it", e);
    }
  }

  private static List<Path> expand(Path p) throws CatalogInvalid {
    if (!Files.isDirectory(p)) {
      return List.of(p);
    }
    try (Stream<Path> s = Files.list(p)) {
      return s.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList();
    } catch (IOException e) {
      throw new CatalogInvalid(p.toString(), "could not list the catalog directory", e);
    }
  }

  private static Catalog merge(List<CatalogParser.Document> docs) throws CatalogInvalid {
    Map<String, CatalogEntry> all = new LinkedHashMap<>();
    Optional<String> defaultImage = Optional.empty();
    for (CatalogParser.Document doc : docs) {
      for (int i = 0; i < doc.entries().size(); i++) {
        CatalogEntry e = doc.entries().get(i);
        CatalogEntry before = all.putIfAbsent(e.reference(), e);
        if (before != null) {
          throw new CatalogInvalid(doc.source(), "/images/" + i,
              "image " + e.reference() + " is already defined by " + before.source()
                  + ": give it another version");
        }
      }
      if (doc.defaultImage().isPresent()) {
        defaultImage = doc.defaultImage();
      }
    }
    return new Catalog(all, defaultImage);
  }
}
