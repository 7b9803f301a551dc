package io.stockade.images;

import java.net.URI;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

/** Builds test content and catalog JSON. */
final class Fixtures {
  private Fixtures() {}

  static byte[] bytes(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  static String sha256(byte[] b) {
    MessageDigest d = PartialFile.sha256();
    return HexFormat.of().formatHex(d.digest(b));
  }

  static String file(List<URI> urls, byte[] content) {
    return "{\"urls\": [" + urls.stream().map(u -> "\"" + u + "\"").collect(Collectors.joining(", "))
        + "], \"size\": " + content.length + ", \"sha256\": \"" + sha256(content) + "\"}";
  }

  /** A catalog with one image {@code name:1} whose kernel is {@code kernel} and rootfs {@code rootfs}. */
  static Catalog catalog(String name, List<URI> kernelUrls, byte[] kernel, List<URI> rootfsUrls, byte[] rootfs)
      throws CatalogInvalid {
    String json = "{\"catalogVersion\": 1, \"images\": [{\"name\": \"" + name + "\", \"version\": \"1\","
        + " \"kernel\": " + file(kernelUrls, kernel) + ","
        + (rootfs == null ? "" : " \"rootfs\": " + file(rootfsUrls, rootfs) + ",")
        + " \"kernelCommandLine\": \"console=ttyS0\", \"vmmKinds\": [\"qemu\"], \"readyLine\": \"READY\"}]}";
    return Catalog.parse(json, "test-catalog.json");
  }

  static StoreOptions fastOptions() {
    return StoreOptions.defaults()
        .withRetries(3, java.time.Duration.ofMillis(10))
        .withStallTimeout(java.time.Duration.ofSeconds(2));
  }
}
