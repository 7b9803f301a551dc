package io.stockade.supervisor.vmm.cloudhypervisor;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** A running cloud-hypervisor VM; its serial console is a file CH writes in the jail's run dir. */
final class CloudHypervisorInstance extends JailedVm {
  private final CloudHypervisorApi api;

  CloudHypervisorInstance(JailedProcess process, CloudHypervisorApi api, VmSetup setup) {
    super(VmmKind.CLOUD_HYPERVISOR, process, setup);
    this.api = api;
    process.onExit().thenRun(() -> SandboxFiles.deleteQuietly(process.rootDir().resolve("run/cloud-hypervisor.sock")));
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
      setup.finishSnapshot(directory, "cloud-hypervisor", api.version(), files);
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
  public Map<String, String> persistentState() {
    Map<String, String> s = setup.state(process);
    s.put("apiSocket", process.rootDir().resolve("run/cloud-hypervisor.sock").toString());
    s.put("vsockSocket", process.rootDir().resolve("run/vsock.sock").toString());
    s.put("consoleLog", consoleLog().toString());
    return Map.copyOf(s);
  }

}
