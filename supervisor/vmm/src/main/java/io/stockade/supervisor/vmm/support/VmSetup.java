package io.stockade.supervisor.vmm.support;

import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.jail.JailedProcess;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmmException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a VM launch decided (shape, image, disk), kept for snapshot manifests and for reattaching
 * after a supervisor restart. {@code disk} is null when the VM has none.
 */
public record VmSetup(String sandboxId, int vcpus, long memoryMiB, String imageName, String imageVersion, Path disk,
    boolean network) {

  public static VmSetup of(LaunchSpec spec, ResolvedImage image, Path disk) {
    return new VmSetup(spec.sandboxId(), spec.vcpus(), spec.memoryMiB(), image.name(), image.version(), disk,
        spec.network().isPresent());
  }

  /** The inverse of {@link #state}; throws a RuntimeException on a record that lacks a field. */
  public static VmSetup fromState(String sandboxId, Map<String, String> s) {
    String disk = s.getOrDefault("disk", "");
    return new VmSetup(sandboxId, Integer.parseInt(s.get("vcpus")), Long.parseLong(s.get("memoryMiB")),
        s.get("imageName"), s.get("imageVersion"), disk.isEmpty() ? null : Path.of(disk),
        Boolean.parseBoolean(s.get("network")));
  }

  /**
   * The persistent state every VM instance records: the process identity {@code reattach} checks
   * (pid and start time) and this setup. Mutable, so that a driver adds its socket paths.
   */
  public Map<String, String> state(JailedProcess process) {
    Map<String, String> s = new HashMap<>();
    s.put("pid", Long.toString(process.pid()));
    s.put("startTime", Long.toString(process.startTime()));
    s.put("disk", disk == null ? "" : disk.toString());
    s.put("vcpus", Integer.toString(vcpus));
    s.put("memoryMiB", Long.toString(memoryMiB));
    s.put("imageName", imageName);
    s.put("imageVersion", imageVersion);
    s.put("network", Boolean.toString(network));
    return s;
  }

  /**
   * Ends a Firecracker or cloud-hypervisor snapshot whose VMM files ({@code files}) are already in
   * {@code directory}: a sparse copy of the disk as {@code disk.raw} (the guest is paused), then
   * the manifest naming them all.
   */
  public void finishSnapshot(Path directory, String vmm, String vmmVersion, List<String> files) throws VmmException {
    List<String> all = new ArrayList<>(files);
    if (disk != null) {
      DiskCopy.copy(disk, directory.resolve("disk.raw"));
      all.add("disk.raw");
    }
    new SnapshotManifest(SnapshotManifest.FORMAT, vmm, vmmVersion, imageName, imageVersion, vcpus, memoryMiB, network,
        all, Instant.now().toString()).write(directory);
  }
}
