package io.stockade.supervisor.vmm.cloudhypervisor;

import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.jail.JailedProcess;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.VmmKind;
import io.stockade.supervisor.vmm.support.DiskCopy;
import io.stockade.supervisor.vmm.support.SandboxFiles;
import io.stockade.supervisor.vmm.support.SnapshotManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/** A running cloud-hypervisor VM; its serial console is a file CH writes in the jail's run dir. */
final class CloudHypervisorInstance implements VmInstance {
  record Setup(String sandboxId, int vcpus, long memoryMiB, String imageName, String imageVersion, Path disk,
      boolean network) {
    static Setup of(LaunchSpec spec, ResolvedImage image, Path disk) {
      return new Setup(spec.sandboxId(), spec.vcpus(), spec.memoryMiB(), image.name(), image.version(), disk,
          spec.network().isPresent());
    }

    static Setup fromState(String id, Map<String, String> s) {
      String disk = s.getOrDefault("disk", "");
      return new Setup(id, Integer.parseInt(s.get("vcpus")), Long.parseLong(s.get("memoryMiB")), s.get("imageName"),
          s.get("imageVersion"), disk.isEmpty() ? null : Path.of(disk), Boolean.parseBoolean(s.get("network")));
    }
  }

  private final JailedProcess process;
  private final CloudHypervisorApi api;
  private final Setup setup;

  CloudHypervisorInstance(JailedProcess process, CloudHypervisorApi api, Setup setup) {
    this.process = process;
    this.api = api;
    this.setup = setup;
    process.onExit().thenRun(() -> SandboxFiles.deleteQuietly(process.rootDir().resolve("run/cloud-hypervisor.sock")));
  }

  @Override
  public String sandboxId() {
    return setup.sandboxId();
  }

  @Override
  public VmmKind kind() {
    return VmmKind.CLOUD_HYPERVISOR;
  }

  @Override
  public JailedProcess process() {
    return process;
  }

  @Override
  public Path consoleLog() {
    return process.rootDir().resolve("run/console.log");
  }

  /** The ACPI power button: the guest's orderly power-off, after which cloud-hypervisor exits 0. */
  @Override
  public void requestShutdown() throws VmmException {
    api.powerButton();
  }

  @Override
  public void pause() throws VmmException {
    api.pause();
  }

  @Override
  public void resume() throws VmmException {
    api.resume();
  }

  String state() throws VmmException {
    return api.state();
  }

  @Override
  public void snapshot(Path directory) throws VmmException {
    boolean wasRunning = "Running".equals(api.state());
    if (wasRunning) {
      api.pause();
    }
    Path out = process.rootDir().resolve("run/snapshot");
    try {
      // cloud-hypervisor writes config.json, state.json and memory-ranges into a directory it
      // can reach inside its jail; the files then move to the snapshot directory.
      SandboxFiles.deleteRecursively(out);
      Files.createDirectories(out);
      Files.setAttribute(out, "unix:uid", process.uid());
      Files.setAttribute(out, "unix:gid", process.gid());
      api.snapshot("/run/snapshot");
      List<String> files = new ArrayList<>();
      try (Stream<Path> s = Files.list(out)) {
        for (Path f : s.toList()) {
          Files.move(f, directory.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
          SandboxFiles.readableBySandboxes(directory.resolve(f.getFileName()));
          files.add(f.getFileName().toString());
        }
      }
      if (setup.disk() != null) {
        DiskCopy.copy(setup.disk(), directory.resolve("disk.raw"));
        files.add("disk.raw");
      }
      new SnapshotManifest(SnapshotManifest.FORMAT, "cloud-hypervisor", api.version(), setup.imageName(),
          setup.imageVersion(), setup.vcpus(), setup.memoryMiB(), setup.network(), files, Instant.now().toString())
          .write(directory);
    } catch (IOException e) {
      throw new VmmException("snapshot " + sandboxId() + ": cannot move the snapshot into " + directory + ": " + e.getMessage(), e);
    } finally {
      SandboxFiles.deleteRecursively(out);
      if (wasRunning) {
        api.resume();
      }
    }
  }

  @Override
  public CompletableFuture<Integer> onExit() {
    return process.onExit();
  }

  @Override
  public boolean guestRequestedShutdown() {
    Integer status = process.onExit().getNow(null);
    return status != null && status == 0;
  }

  @Override
  public Map<String, String> persistentState() {
    Map<String, String> s = new HashMap<>();
    s.put("pid", Long.toString(process.pid()));
    s.put("startTime", Long.toString(process.startTime()));
    s.put("apiSocket", process.rootDir().resolve("run/cloud-hypervisor.sock").toString());
    s.put("vsockSocket", process.rootDir().resolve("run/vsock.sock").toString());
    s.put("consoleLog", consoleLog().toString());
    s.put("disk", setup.disk() == null ? "" : setup.disk().toString());
    s.put("vcpus", Integer.toString(setup.vcpus()));
    s.put("memoryMiB", Long.toString(setup.memoryMiB()));
    s.put("imageName", setup.imageName());
    s.put("imageVersion", setup.imageVersion());
    s.put("network", Boolean.toString(setup.network()));
    return Map.copyOf(s);
  }

}
