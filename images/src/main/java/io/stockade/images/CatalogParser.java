package io.stockade.images;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads catalog JSON strictly: unknown or duplicate fields, wrong types, missing fields, bad
 * digests and URL schemes other than http, https and file are errors that name the file and the
 * JSON pointer of the value.
 */
final class CatalogParser {
  static final Set<String> VMM_KINDS = Set.of("qemu", "firecracker", "cloud-hypervisor");
  static final Set<String> URL_SCHEMES = Set.of("http", "https", "file");
  private static final Set<String> TOP_FIELDS = Set.of("catalogVersion", "defaultImage", "images");
  private static final Set<String> ENTRY_FIELDS = Set.of("name", "version", "description",
      "kernel", "initrd", "rootfs", "kernelCommandLine", "vmmKinds", "readyLine");
  private static final Set<String> FILE_FIELDS = Set.of("urls", "size", "sha256");
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .build();

  record Document(String source, Optional<String> defaultImage, List<CatalogEntry> entries) {}

  private final String source;
  private final URI base; // relative URLs resolve against the catalog file; null: not allowed

  private CatalogParser(String source, URI base) {
    this.source = source;
    this.base = base;
  }

  static Document parse(Path file) throws CatalogInvalid {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new CatalogInvalid(file.toString(), "could not read the catalog file", e);
    }
    return parse(text, file.toString(), file.toAbsolutePath().toUri());
  }

  static Document parse(String json, String source, URI base) throws CatalogInvalid {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new CatalogInvalid(source, "", "not valid JSON: " + e.getOriginalMessage()
          + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
    }
    return new CatalogParser(source, base).document(root);
  }

  private Document document(JsonNode root) throws CatalogInvalid {
    object(root, "", TOP_FIELDS);
    JsonNode v = required(root, "", "catalogVersion");
    if (!v.isInt() || v.intValue() != 1) {
      throw new CatalogInvalid(source, "/catalogVersion", "must be 1 (this Stockade reads version 1)");
    }
    Optional<String> defaultImage = Optional.empty();
    if (root.has("defaultImage")) {
      String d = string(root.get("defaultImage"), "/defaultImage", false);
      try {
        Names.parseReference(d);
      } catch (ReferenceInvalid e) {
        throw new CatalogInvalid(source, "/defaultImage", e.getMessage());
      }
      defaultImage = Optional.of(d);
    }
    JsonNode images = required(root, "", "images");
    if (!images.isArray()) {
      throw new CatalogInvalid(source, "/images", "must be an array of images");
    }
    List<CatalogEntry> entries = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (int i = 0; i < images.size(); i++) {
      CatalogEntry e = entry(images.get(i), "/images/" + i);
      if (!seen.add(e.reference())) {
        throw new CatalogInvalid(source, "/images/" + i, "image " + e.reference() + " appears twice");
      }
      entries.add(e);
    }
    return new Document(source, defaultImage, entries);
  }

  private CatalogEntry entry(JsonNode n, String at) throws CatalogInvalid {
    object(n, at, ENTRY_FIELDS);
    String name = string(required(n, at, "name"), at + "/name", false);
    if (!Names.isName(name)) {
      throw new CatalogInvalid(source, at + "/name",
          "'" + name + "' is not a valid name: 1-64 characters of [a-z0-9._-], starting with a letter or digit");
    }
    String version = string(required(n, at, "version"), at + "/version", false);
    if (!Names.isVersion(version)) {
      throw new CatalogInvalid(source, at + "/version",
          "'" + version + "' is not a valid version: 1-128 characters of [A-Za-z0-9._+-], starting with a letter or digit");
    }
    String description = n.has("description") ? string(n.get("description"), at + "/description", true) : "";
    ImageFile kernel = file(required(n, at, "kernel"), at + "/kernel");
    Optional<ImageFile> initrd = n.has("initrd") ? Optional.of(file(n.get("initrd"), at + "/initrd")) : Optional.empty();
    Optional<ImageFile> rootfs = n.has("rootfs") ? Optional.of(file(n.get("rootfs"), at + "/rootfs")) : Optional.empty();
    String cmdline = string(required(n, at, "kernelCommandLine"), at + "/kernelCommandLine", true);
    JsonNode kinds = required(n, at, "vmmKinds");
    if (!kinds.isArray() || kinds.isEmpty()) {
      throw new CatalogInvalid(source, at + "/vmmKinds", "must be a non-empty array of " + VMM_KINDS);
    }
    Set<String> vmmKinds = new LinkedHashSet<>();
    for (int i = 0; i < kinds.size(); i++) {
      String k = string(kinds.get(i), at + "/vmmKinds/" + i, false);
      if (!VMM_KINDS.contains(k)) {
        throw new CatalogInvalid(source, at + "/vmmKinds/" + i, "unknown VMM kind '" + k + "': use one of " + VMM_KINDS);
      }
      vmmKinds.add(k);
    }
    String ready = string(required(n, at, "readyLine"), at + "/readyLine", false);
    return new CatalogEntry(name, version, description, kernel, initrd, rootfs, cmdline, vmmKinds, ready, source);
  }

  private ImageFile file(JsonNode n, String at) throws CatalogInvalid {
    object(n, at, FILE_FIELDS);
    JsonNode urls = required(n, at, "urls");
    if (!urls.isArray() || urls.isEmpty()) {
      throw new CatalogInvalid(source, at + "/urls", "must be a non-empty array of URLs (mirrors, tried in order)");
    }
    List<URI> list = new ArrayList<>();
    for (int i = 0; i < urls.size(); i++) {
      list.add(url(string(urls.get(i), at + "/urls/" + i, false), at + "/urls/" + i));
    }
    JsonNode size = required(n, at, "size");
    if (!size.isIntegralNumber() || !size.canConvertToLong() || size.longValue() <= 0) {
      throw new CatalogInvalid(source, at + "/size", "must be the file's size in bytes, a positive integer");
    }
    String sha = string(required(n, at, "sha256"), at + "/sha256", false);
    if (!Names.isSha256(sha)) {
      throw new CatalogInvalid(source, at + "/sha256", "'" + sha + "' is not a SHA-256 digest (64 lowercase hex digits)");
    }
    return new ImageFile(list, size.longValue(), sha);
  }

  private URI url(String s, String at) throws CatalogInvalid {
    URI u;
    try {
      u = new URI(s);
    } catch (URISyntaxException e) {
      throw new CatalogInvalid(source, at, "'" + s + "' is not a URL: " + e.getReason());
    }
    if (!u.isAbsolute()) {
      if (base == null) {
        throw new CatalogInvalid(source, at, "relative URL '" + s + "' needs a catalog file to resolve against");
      }
      u = base.resolve(u);
    }
    String scheme = u.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!URL_SCHEMES.contains(scheme)) {
      throw new CatalogInvalid(source, at, "URL scheme '" + scheme + "' in '" + s + "' is not supported: use http, https or file");
    }
    if (scheme.equals("file") && (u.getPath() == null || !u.getPath().startsWith("/")
        || (u.getAuthority() != null && !u.getAuthority().isEmpty()))) {
      throw new CatalogInvalid(source, at, "file URL '" + s + "' must be file:///absolute/path");
    }
    if (!scheme.equals("file") && (u.getHost() == null || u.getHost().isEmpty())) {
      throw new CatalogInvalid(source, at, "URL '" + s + "' names no host");
    }
    return u;
  }

  private void object(JsonNode n, String at, Set<String> allowed) throws CatalogInvalid {
    if (!n.isObject()) {
      throw new CatalogInvalid(source, at, "must be a JSON object");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) {
        throw new CatalogInvalid(source, at + "/" + f, "unknown field '" + f + "' (allowed: " + allowed + ")");
      }
    }
  }

  private JsonNode required(JsonNode n, String at, String field) throws CatalogInvalid {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      throw new CatalogInvalid(source, at + "/" + field, "required field '" + field + "' is missing");
    }
    return v;
  }

  private String string(JsonNode n, String at, boolean mayBeEmpty) throws CatalogInvalid {
    if (n == null || !n.isTextual()) {
      throw new CatalogInvalid(source, at, "must be a string");
    }
    if (!mayBeEmpty && n.textValue().isEmpty()) {
      throw new CatalogInvalid(source, at, "must not be empty");
    }
    return n.textValue();
  }
}
