package io.stockade.supervisor.preflight;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.stockade.supervisor.preflight.PreflightReport.KvmVerdict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The boot probe's verdicts, one per host kernel release + QEMU version: a probe that hangs costs
 * its whole timeout, so it runs once per combination, and again after either is upgraded (a new
 * kernel or QEMU may fix nested KVM) or when the operator asks (--probe-boot).
 */
final class BootProbeCache {
  /**
   * @param verdict USABLE or ANSWERS_BUT_GUESTS_HANG (inconclusive probes are never cached)
   * @param found the check's "found" text at the time
   * @param probedAt ISO-8601 instant
   */
  record Entry(KvmVerdict verdict, String found, String probedAt) {}

  record File(Map<String, Entry> entries) {
    File {
      entries = new TreeMap<>(entries == null ? Map.of() : entries);
    }
  }

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final Path path;

  BootProbeCache(Path path) {
    this.path = path;
  }

  static String key(String hostKernelRelease, String qemuVersion) {
    return "kernel " + hostKernelRelease + " / " + qemuVersion;
  }

  /** The cached entry; a missing or unreadable cache is simply a miss (the probe runs again). */
  Optional<Entry> lookup(String key) {
    return readFile().map(f -> f.entries().get(key));
  }

  /** Stores atomically (temp file + rename), keeping other keys' entries. */
  void store(String key, Entry entry) throws IOException {
    Map<String, Entry> entries = new TreeMap<>(readFile().map(File::entries).orElse(Map.of()));
    entries.put(key, entry);
    Path dir = path.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".kvm-probe", ".tmp");
    try {
      JSON.writeValue(tmp.toFile(), new File(entries));
      Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private Optional<File> readFile() {
    if (!Files.isRegularFile(path)) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(path.toFile(), File.class));
    } catch (IOException e) {
      return Optional.empty(); // a corrupt cache is a miss, and the next store replaces it
    }
  }
}
