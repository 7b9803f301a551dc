package io.stockade.supervisor.vmm.support;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.stockade.supervisor.vmm.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * {@code manifest.json} of a Firecracker or cloud-hypervisor snapshot directory: what the
 * snapshot needs to be restored (same shape of machine) and which files belong to it.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SnapshotManifest(
    int format,
    String kind,
    String vmmVersion,
    String imageName,
    String imageVersion,
    int vcpus,
    long memoryMiB,
    boolean network,
    List<String> files,
    String createdAt) {
  public static final String FILE = "manifest.json";
  public static final int FORMAT = 1;
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public void write(Path directory) throws VmmException {
    Path tmp = directory.resolve(FILE + ".tmp");
    try {
      Files.write(tmp, JSON.writeValueAsBytes(this));
      Files.move(tmp, directory.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new VmmException("snapshot: cannot write " + directory.resolve(FILE) + ": " + e.getMessage(), e);
    }
  }

  /** Reads and checks a manifest: right kind and format, every listed file present. */
  public static SnapshotManifest read(Path directory, String expectedKind) throws VmmException {
    Path file = directory.resolve(FILE);
    SnapshotManifest m;
    try {
      m = JSON.readValue(file.toFile(), SnapshotManifest.class);
    } catch (IOException e) {
      throw new VmmException("restore: cannot read " + file + ": " + e.getMessage()
          + " (is this a directory written by a " + expectedKind + " sandbox's snapshot?)", e);
    }
    if (m.format() != FORMAT || !expectedKind.equals(m.kind())) {
      throw new VmmException("restore: " + file + " is a " + m.kind() + " snapshot of format " + m.format()
          + "; this driver restores " + expectedKind + " snapshots of format " + FORMAT);
    }
    for (String f : m.files() == null ? List.<String>of() : m.files()) {
      if (!Files.exists(directory.resolve(f))) {
        throw new VmmException("restore: " + directory.resolve(f) + " is missing: the snapshot is incomplete");
      }
    }
    return m;
  }

  /** Throws unless the request has the snapshot's shape (VMMs restore devices and RAM as saved). */
  public void requireShape(String sandboxId, int vcpus, long memoryMiB, boolean network) throws VmmException {
    if (this.vcpus != vcpus || this.memoryMiB != memoryMiB || this.network != network) {
      throw new VmmException("restore " + sandboxId + ": the snapshot was taken with " + this.vcpus + " vCPUs, "
          + this.memoryMiB + " MiB and network=" + this.network + "; the request asks for " + vcpus + ", "
          + memoryMiB + " and " + network + ": ask for the snapshot's shape");
    }
  }
}
