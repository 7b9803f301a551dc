package io.stockade.supervisor.vmm.cloudhypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.images.DiskFormat;
import io.stockade.images.ImageException;
import io.stockade.images.ImageResolver;
import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.jail.JailException;
import io.stockade.supervisor.jail.JailLauncher;
import io.stockade.supervisor.jail.JailSpec;
import io.stockade.supervisor.jail.SystemMounts;
import io.stockade.supervisor.jail.JailedProcess;
import io.stockade.supervisor.net.SandboxNetwork;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmDriver;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.VmmFeature;
import io.stockade.supervisor.vmm.VmmKind;
import io.stockade.supervisor.vmm.support.ApiSocket;
import io.stockade.supervisor.vmm.support.ConsoleLog;
import io.stockade.supervisor.vmm.support.DiskCopy;
import io.stockade.supervisor.vmm.support.GuestCommandLine;
import io.stockade.supervisor.vmm.support.SandboxFiles;
import io.stockade.supervisor.vmm.support.SnapshotManifest;
import io.stockade.supervisor.vmm.support.UnixHttpClient;
import io.stockade.supervisor.vmm.support.VersionProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs cloud-hypervisor in a jail: vmm.ping, vm.create, vm.boot; or vm.restore + vm.resume from
 * a snapshot. Paths in the VM config are the jail's, so a snapshot's config stays valid in the
 * next jail (only the TAP name is rewritten, when the network changed).
 */
public final class CloudHypervisorDriver implements VmmDriver {
  static final String API_SOCKET = "/run/cloud-hypervisor.sock";
  static final String SNAPSHOT_DIR = "/snapshot";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final JailLauncher jail;
  private final ImageResolver images;
  private final Path binary;
  private final CloudHypervisorOptions options;
  private final Map<String, Path> disks = new ConcurrentHashMap<>();

  private CloudHypervisorDriver(JailLauncher jail, ImageResolver images, Path binary, CloudHypervisorOptions options) {
    this.jail = jail;
    this.images = images;
    this.binary = binary;
    this.options = options;
  }

  public static CloudHypervisorDriver create(
      JailLauncher jail, ImageResolver images, Path binary, CloudHypervisorOptions options) {
    return new CloudHypervisorDriver(jail, images, binary, options);
  }

  @Override
  public VmmKind kind() {
    return VmmKind.CLOUD_HYPERVISOR;
  }

  @Override
  public Set<VmmFeature> features() {
    return EnumSet.of(VmmFeature.PAUSE, VmmFeature.SNAPSHOT, VmmFeature.GRACEFUL_SHUTDOWN);
  }

  @Override
  public Optional<String> version() {
    return VersionProbe.run(binary, Duration.ofSeconds(5));
  }

  @Override
  public VmInstance launch(LaunchSpec spec) throws VmmException {
    String id = spec.sandboxId();
    ResolvedImage image = spec.image().orElseThrow(() -> new VmmException("launch " + id + ": a cloud-hypervisor sandbox needs an image"));
    if (!image.vmmKinds().isEmpty() && !image.vmmKinds().contains("cloud-hypervisor")) {
      throw new VmmException("launch " + id + ": image " + image.name() + " boots only on " + image.vmmKinds());
    }
    boolean restore = spec.restoreFrom().isPresent();
    if (restore) {
      SnapshotManifest.read(spec.restoreFrom().get(), "cloud-hypervisor")
          .requireShape(id, spec.vcpus(), spec.memoryMiB(), spec.network().isPresent());
    }
    Path disk = null;
    try {
      Files.createDirectories(spec.sandboxDir());
      disk = prepareDisk(spec, image, restore);
      JailedProcess process = launchJail(jailSpec(spec, image, disk));
      try {
        CloudHypervisorApi api = configure(spec, image, disk, process);
        CloudHypervisorInstance vm = new CloudHypervisorInstance(process, api, CloudHypervisorInstance.Setup.of(spec, image, disk));
        if (!restore) {
          awaitReady(vm, image.readyLine(), spec.readyTimeout());
        }
        return vm;
      } catch (VmmException e) {
        String tail = ConsoleLog.tail(process.consoleFile(), 10) + "\n" + ConsoleLog.tail(process.rootDir().resolve("run/console.log"), 30);
        abandon(process);
        throw new VmmException(e.getMessage() + (tail.isBlank() ? "" : "\n[console]\n" + tail.strip()), e, false, tail.strip());
      }
    } catch (VmmException e) {
      removeDisk(id, disk);
      throw e;
    } catch (IOException e) {
      removeDisk(id, disk);
      throw new VmmException("launch " + id + ": cannot prepare " + spec.sandboxDir() + ": " + e.getMessage(), e);
    }
  }

  private Path prepareDisk(LaunchSpec spec, ResolvedImage image, boolean restore) throws VmmException {
    Path disk;
    if (restore) {
      Path saved = spec.restoreFrom().get().resolve("disk.raw");
      if (!Files.exists(saved)) {
        return null;
      }
      disk = spec.sandboxDir().resolve("disk.raw");
      DiskCopy.copy(saved, disk);
    } else if (image.rootfs().isPresent()) {
      try {
        // Raw: a qcow2 overlay would need backing_files=on, which older releases lack.
        disk = images.createWritableDisk(image, spec.sandboxId(), spec.sandboxDir(), DiskFormat.RAW);
      } catch (ImageException e) {
        throw new VmmException("launch " + spec.sandboxId() + ": writable disk: " + e.getMessage(), e);
      }
    } else {
      return null;
    }
    disks.put(spec.sandboxId(), disk);
    SandboxFiles.giveToSandbox(jail, spec.sandboxId(), disk);
    return disk;
  }

  private JailSpec jailSpec(LaunchSpec spec, ResolvedImage image, Path disk) throws IOException {
    List<JailSpec.Mount> mounts = new ArrayList<>(SystemMounts.readOnly());
    mounts.add(new JailSpec.Mount(image.kernel(), "/vm/kernel", false));
    image.initrd().ifPresent(i -> mounts.add(new JailSpec.Mount(i, "/vm/initrd", false)));
    if (disk != null) {
      mounts.add(new JailSpec.Mount(disk, "/vm/disk.raw", true));
    }
    if (spec.restoreFrom().isPresent()) {
      mounts.add(new JailSpec.Mount(spec.restoreFrom().get(), SNAPSHOT_DIR, false));
      if (spec.network().isPresent()) {
        // The saved config names the old sandbox's TAP; the restored VM must open this one's.
        mounts.add(new JailSpec.Mount(retapConfig(spec, spec.network().get()), SNAPSHOT_DIR + "/config.json", false));
      }
    }
    List<String> devices = new ArrayList<>(List.of("kvm", "null", "urandom"));
    if (spec.network().isPresent()) {
      devices.add("net/tun");
    }
    List<String> argv = List.of("cloud-hypervisor", "--api-socket", "path=" + API_SOCKET,
        "--log-file", "/run/cloud-hypervisor.log");
    long memoryBytes = (spec.memoryMiB() + options.overheadMiB()) * 1024 * 1024;
    JailSpec.Limits limits = new JailSpec.Limits(spec.vcpus() * 1000L, memoryBytes, 128, 1024, 0);
    return new JailSpec(spec.sandboxId(), binary, argv, Map.of(), mounts, devices,
        spec.network().map(SandboxNetwork::netnsPath), limits, "cloud-hypervisor", false, "/");
  }

  private static Path retapConfig(LaunchSpec spec, SandboxNetwork net) throws IOException {
    JsonNode config = JSON.readTree(spec.restoreFrom().get().resolve("config.json").toFile());
    for (JsonNode n : config.path("net")) {
      ((ObjectNode) n).put("tap", net.tapName()).put("mac", net.mac());
    }
    Path out = spec.sandboxDir().resolve("restore-config.json");
    JSON.writeValue(out.toFile(), config);
    return out;
  }

  private JailedProcess launchJail(JailSpec spec) throws VmmException {
    try {
      return jail.launch(spec);
    } catch (JailException e) {
      throw new VmmException("launch " + spec.sandboxId() + ": jail step " + e.step() + " failed: " + e.getMessage(), e);
    }
  }

  private CloudHypervisorApi configure(LaunchSpec spec, ResolvedImage image, Path disk, JailedProcess p) throws VmmException {
    UnixHttpClient http = UnixHttpClient.of(p.rootDir().resolve("run/cloud-hypervisor.sock"), options.controlTimeout());
    CloudHypervisorApi api = connect(http, p);
    if (spec.restoreFrom().isPresent()) {
      api.restore(SNAPSHOT_DIR);
      api.resume();
      return api;
    }
    String cmdline = GuestCommandLine.build(image.kernelCommandLine(), 0, spec.network(), spec.command());
    api.create(new CloudHypervisorApi.VmConfig(spec.vcpus(), spec.memoryMiB(), "/vm/kernel",
        image.initrd().map(i -> "/vm/initrd"), cmdline, Optional.ofNullable(disk).map(d -> "/vm/disk.raw"),
        spec.network().map(SandboxNetwork::tapName), spec.network().map(SandboxNetwork::mac), options.guestCid(),
        "/run/vsock.sock", "/run/console.log"));
    api.boot();
    return api;
  }

  private static CloudHypervisorApi connect(UnixHttpClient http, JailedProcess p) throws VmmException {
    UnixHttpClient.Response ping = ApiSocket.await(http, "/api/v1/vmm.ping", p.onExit(), Duration.ofSeconds(10), "cloud-hypervisor");
    try {
      return CloudHypervisorApi.connect(http, JSON.readTree(ping.body()));
    } catch (IOException e) {
      throw new VmmException("cloud-hypervisor vmm.ping: unreadable answer " + ping.body(), e);
    }
  }

  private static void awaitReady(CloudHypervisorInstance vm, String readyLine, Duration timeout) throws VmmException {
    ConsoleLog.Outcome outcome;
    try {
      outcome = ConsoleLog.of(vm.consoleLog()).awaitLine(readyLine, timeout, vm.onExit());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VmmException("launch " + vm.sandboxId() + ": interrupted while waiting for the guest", e);
    }
    if (outcome == ConsoleLog.Outcome.PROCESS_EXITED) {
      throw new VmmException("launch " + vm.sandboxId() + ": cloud-hypervisor exited with status "
          + vm.onExit().getNow(-1) + " before the guest printed '" + readyLine + "'");
    }
    if (outcome == ConsoleLog.Outcome.TIMED_OUT) {
      throw new VmmException("launch " + vm.sandboxId() + ": the guest did not print '" + readyLine + "' within " + timeout);
    }
  }

  private void abandon(JailedProcess process) {
    process.killAll();
    try {
      process.onExit().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // cleanup below reports what it cannot remove.
    }
    jail.cleanup(process.sandboxId());
  }

  private void removeDisk(String id, Path disk) {
    if (disk != null) {
      SandboxFiles.deleteQuietly(disk);
      disks.remove(id, disk);
      images.release(id);
    }
  }

  @Override
  public Optional<VmInstance> reattach(String sandboxId, Map<String, String> state) {
    try {
      Optional<JailedProcess> p = jail.reattach(sandboxId, Long.parseLong(state.get("pid")), Long.parseLong(state.get("startTime")));
      if (p.isEmpty()) {
        return Optional.empty();
      }
      UnixHttpClient http = UnixHttpClient.of(p.get().rootDir().resolve("run/cloud-hypervisor.sock"), options.controlTimeout());
      return Optional.of(new CloudHypervisorInstance(p.get(), connect(http, p.get()),
          CloudHypervisorInstance.Setup.fromState(sandboxId, state)));
    } catch (VmmException | RuntimeException e) {
      return Optional.empty();
    }
  }

  @Override
  public void cleanup(String sandboxId) {
    jail.cleanup(sandboxId);
    Path disk = disks.remove(sandboxId);
    if (disk != null) {
      SandboxFiles.deleteQuietly(disk);
      SandboxFiles.deleteQuietly(disk.resolveSibling("restore-config.json"));
    }
    images.release(sandboxId);
  }
}
