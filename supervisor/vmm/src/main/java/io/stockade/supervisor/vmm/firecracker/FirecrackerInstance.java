package io.stockade.supervisor.vmm.firecracker;

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

/** A running Firecracker microVM. Its serial console is Firecracker's stdout: the jail's console file. */
final class FirecrackerInstance implements VmInstance {
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
  private final FirecrackerApi api;
  private final Setup setup;

  FirecrackerInstance(JailedProcess process, FirecrackerApi api, Setup setup) {
    this.process = process;
    this.api = api;
    this.setup = setup;
    // Firecracker exits 143 on SIGTERM without removing its API socket; a later launch or a
    // reattach must not mistake the stale socket for a live API.
    process.onExit().thenRun(() -> SandboxFiles.deleteQuietly(process.rootDir().resolve("run/firecracker.sock")));
  }

  @Override
  public String sandboxId() {
    return setup.sandboxId();
  }

  @Override
  public VmmKind kind() {
    return VmmKind.FIRECRACKER;
  }

  @Override
  public JailedProcess process() {
    return process;
  }

  /** Ctrl-Alt-Del through the i8042 controller: the guest's reboot path, which Firecracker turns into exit. */
  @Override
  public void requestShutdown() throws VmmException {
    api.action("SendCtrlAltDel");
  }

  @Override
  public void pause() throws VmmException {
    api.patchVm("Paused");
  }

  @Override
  public void resume() throws VmmException {
    api.patchVm("Resumed");
  }

  String state() throws VmmException {
    return api.state();
  }

  @Override
  public void snapshot(Path directory) throws VmmException {
    boolean wasRunning = "Running".equals(api.state());
    if (wasRunning) {
      api.patchVm("Paused");
    }
    Path run = process.rootDir().resolve("run");
    try {
      // Firecracker writes where its jail lets it (its run directory); the files then move out.
      api.createSnapshot("/run/snapshot.vmstate", "/run/snapshot.mem");
      Files.move(run.resolve("snapshot.vmstate"), directory.resolve("vm.state"), StandardCopyOption.REPLACE_EXISTING);
      Files.move(run.resolve("snapshot.mem"), directory.resolve("memory.bin"), StandardCopyOption.REPLACE_EXISTING);
      SandboxFiles.readableBySandboxes(directory.resolve("vm.state"));
      SandboxFiles.readableBySandboxes(directory.resolve("memory.bin"));
      List<String> files = new ArrayList<>(List.of("vm.state", "memory.bin"));
      if (setup.disk() != null) {
        DiskCopy.copy(setup.disk(), directory.resolve("disk.raw"));
        files.add("disk.raw");
      }
      new SnapshotManifest(SnapshotManifest.FORMAT, "firecracker", api.vmmVersion(), setup.imageName(),
          setup.imageVersion(), setup.vcpus(), setup.memoryMiB(), setup.network(), files, Instant.now().toString())
          .write(directory);
    } catch (IOException e) {
      throw new VmmException("snapshot " + sandboxId() + ": cannot move the snapshot into " + directory + ": " + e.getMessage(), e);
    } finally {
      SandboxFiles.deleteQuietly(run.resolve("snapshot.vmstate"));
      SandboxFiles.deleteQuietly(run.resolve("snapshot.mem"));
      if (wasRunning) {
        api.patchVm("Resumed");
      }
    }
  }

  @Override
  public CompletableFuture<Integer> onExit() {
    return process.onExit();
  }

  /** Firecracker exits 0 when the guest shut itself down (reboot and power-off both end the VMM). */
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
    s.put("apiSocket", process.rootDir().resolve("run/firecracker.sock").toString());
    s.put("vsockSocket", process.rootDir().resolve("run/vsock.sock").toString());
    s.put("disk", setup.disk() == null ? "" : setup.disk().toString());
    s.put("vcpus", Integer.toString(setup.vcpus()));
    s.put("memoryMiB", Long.toString(setup.memoryMiB()));
    s.put("imageName", setup.imageName());
    s.put("imageVersion", setup.imageVersion());
    s.put("network", Boolean.toString(setup.network()));
    return Map.copyOf(s);
  }
}
