package io.stockade.supervisor.vmm.qemu;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.stockade.supervisor.vmm.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A QEMU snapshot directory: {@code memory.bin} (QEMU's migration stream: RAM and device state,
 * written while the guest is stopped), {@code disk.qcow2} (a copy of the sandbox's overlay at
 * that instant; its backing file is the image's root filesystem) and {@code manifest.json}.
 */
final class QemuSnapshot {
  static final String MANIFEST = "manifest.json";
  static final String MEMORY = "memory.bin";
  static final String DISK = "disk.qcow2";
  static final int FORMAT = 1;

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * What a restore must reproduce: QEMU refuses a migration stream into a machine with other
   * devices or memory size, so these are checked before QEMU is started.
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Manifest(
      int format,
      String kind,
      String qemuVersion,
      String imageName,
      String imageVersion,
      int vcpus,
      long memoryMiB,
      boolean disk,
      boolean network,
      String kernelCommandLine,
      String createdAt) {}

  private QemuSnapshot() {}

  static void writeManifest(Path directory, Manifest manifest) throws VmmException {
    Path tmp = directory.resolve(MANIFEST + ".tmp");
    try {
      Files.write(tmp, JSON.writeValueAsBytes(manifest));
      Files.move(tmp, directory.resolve(MANIFEST), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new VmmException("snapshot: cannot write " + directory.resolve(MANIFEST) + ": " + e.getMessage(), e);
    }
  }

  static Manifest readManifest(Path directory) throws VmmException {
    Path file = directory.resolve(MANIFEST);
    Manifest m;
    try {
      m = JSON.readValue(file.toFile(), Manifest.class);
    } catch (IOException e) {
      throw new VmmException(
          "restore: cannot read " + file + ": " + e.getMessage()
              + " (is this a directory written by a qemu sandbox's snapshot?)", e);
    }
    if (m.format() != FORMAT || !"qemu".equals(m.kind())) {
      throw new VmmException(
          "restore: " + file + " is a " + m.kind() + " snapshot of format " + m.format()
              + "; this driver restores qemu snapshots of format " + FORMAT);
    }
    if (!Files.isRegularFile(directory.resolve(MEMORY))) {
      throw new VmmException("restore: " + directory.resolve(MEMORY) + " is missing: the snapshot is incomplete");
    }
    if (m.disk() && !Files.isRegularFile(directory.resolve(DISK))) {
      throw new VmmException("restore: " + directory.resolve(DISK) + " is missing: the snapshot is incomplete");
    }
    return m;
  }
}
