package io.stockade.supervisor.vmm.firecracker;

import io.stockade.supervisor.jail.JailedProcess;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.VmmKind;
import io.stockade.supervisor.vmm.support.JailedVm;
import io.stockade.supervisor.vmm.support.SandboxFiles;
import io.stockade.supervisor.vmm.support.VmSetup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/** A running Firecracker microVM. Its serial console is Firecracker's stdout: the jail's console file. */
final class FirecrackerInstance extends JailedVm {
  private final FirecrackerApi api;

  FirecrackerInstance(JailedProcess process, FirecrackerApi api, VmSetup setup) {
    super(VmmKind.FIRECRACKER, process, setup);
    this.api = api;
    // Firecracker exits 143 on SIGTERM without removing its API socket; a later launch or a
    // reattach must not mistake the stale socket for a live API.
    process.onExit().thenRun(() -> SandboxFiles.deleteQuietly(process.rootDir().resolve("run/firecracker.sock")));
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
      setup.finishSnapshot(directory, "firecracker", api.vmmVersion(), List.of("vm.state", "memory.bin"));
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
  public Map<String, String> persistentState() {
    Map<String, String> s = setup.state(process);
    s.put("apiSocket", process.rootDir().resolve("run/firecracker.sock").toString());
    s.put("vsockSocket", process.rootDir().resolve("run/vsock.sock").toString());
    return Map.copyOf(s);
  }
}
