package io.stockade.supervisor.vmm.firecracker;

import io.stockade.images.DiskFormat;
import io.stockade.images.ImageException;
import io.stockade.images.ImageResolver;
import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.jail.JailException;
import io.stockade.supervisor.jail.JailLauncher;
import io.stockade.supervisor.jail.JailSpec;
import io.stockade.supervisor.jail.SystemMounts;
import io.stockade.supervisor.jail.JailedProcess;
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
 * Runs Firecracker in a jail and configures it through its API socket: logger, metrics,
 * machine, boot source, drive, NIC, vsock, then InstanceStart; or snapshot/load for a restore.
 * Paths in API bodies are the jail's, which keeps them stable across snapshot and restore.
 */
public final class FirecrackerDriver implements VmmDriver {
  static final String API_SOCKET = "/run/firecracker.sock";
  static final String LOG = "/run/firecracker.log";
  static final String METRICS = "/run/firecracker.metrics";
  static final String VSOCK = "/run/vsock.sock";
  static final String KERNEL = "/vm/kernel";
  static final String INITRD = "/vm/initrd";
  static final String DISK = "/vm/disk.raw";
  static final String SNAPSHOT_DIR = "/snapshot";

  private final JailLauncher jail;
  private final ImageResolver images;
  private final Path binary;
  private final FirecrackerOptions options;
  private final Map<String, Path> disks = new ConcurrentHashMap<>();

  private FirecrackerDriver(JailLauncher jail, ImageResolver images, Path binary, FirecrackerOptions options) {
    this.jail = jail;
    this.images = images;
    this.binary = binary;
    this.options = options;
  }

  public static FirecrackerDriver create(JailLauncher jail, ImageResolver images, Path binary, FirecrackerOptions options) {
    return new FirecrackerDriver(jail, images, binary, options);
  }

  @Override
  public VmmKind kind() {
    return VmmKind.FIRECRACKER;
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
    ResolvedImage image = spec.image().orElseThrow(() -> new VmmException("launch " + id + ": a firecracker sandbox needs an image"));
    if (!image.vmmKinds().isEmpty() && !image.vmmKinds().contains("firecracker")) {
      throw new VmmException("launch " + id + ": image " + image.name() + " boots only on " + image.vmmKinds()
          + " (Firecracker needs a kernel with CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES)");
    }
    Optional<SnapshotManifest> restore = Optional.empty();
    if (spec.restoreFrom().isPresent()) {
      SnapshotManifest m = SnapshotManifest.read(spec.restoreFrom().get(), "firecracker");
      m.requireShape(id, spec.vcpus(), spec.memoryMiB(), spec.network().isPresent());
      restore = Optional.of(m);
    }
    Path disk = null;
    try {
      Files.createDirectories(spec.sandboxDir());
      disk = prepareDisk(spec, image, restore.isPresent());
      JailedProcess process = launchJail(jailSpec(spec, image, disk));
      try {
        FirecrackerApi api = configure(spec, image, disk, process, restore.isPresent());
        FirecrackerInstance vm = new FirecrackerInstance(process, api, FirecrackerInstance.Setup.of(spec, image, disk));
        if (restore.isEmpty()) {
          awaitReady(vm, image.readyLine(), spec.readyTimeout());
        }
        return vm;
      } catch (VmmException e) {
        String tail = ConsoleLog.tail(process.consoleFile(), 30);
        abandon(process);
        throw new VmmException(e.getMessage() + (tail.isBlank() ? "" : "\n[console]\n" + tail), e, false, tail);
      }
    } catch (VmmException e) {
      removeDisk(id, disk);
      throw e;
    } catch (IOException e) {
      removeDisk(id, disk);
      throw new VmmException("launch " + id + ": cannot create " + spec.sandboxDir() + ": " + e.getMessage(), e);
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

  private JailSpec jailSpec(LaunchSpec spec, ResolvedImage image, Path disk) {
    List<JailSpec.Mount> mounts = new ArrayList<>(SystemMounts.readOnly());
    mounts.add(new JailSpec.Mount(image.kernel(), KERNEL, false));
    image.initrd().ifPresent(i -> mounts.add(new JailSpec.Mount(i, INITRD, false)));
    if (disk != null) {
      mounts.add(new JailSpec.Mount(disk, DISK, true));
    }
    spec.restoreFrom().ifPresent(d -> mounts.add(new JailSpec.Mount(d, SNAPSHOT_DIR, false)));
    List<String> devices = new ArrayList<>(List.of("kvm", "null", "urandom"));
    if (spec.network().isPresent()) {
      devices.add("net/tun");
    }
    List<String> argv = List.of("firecracker", "--api-sock", API_SOCKET, "--id", spec.sandboxId());
    long memoryBytes = (spec.memoryMiB() + options.overheadMiB()) * 1024 * 1024;
    JailSpec.Limits limits = new JailSpec.Limits(spec.vcpus() * 1000L, memoryBytes, 128, 1024, 0);
    return new JailSpec(spec.sandboxId(), binary, argv, Map.of(), mounts, devices,
        spec.network().map(n -> n.netnsPath()), limits, "firecracker", false, "/");
  }

  private JailedProcess launchJail(JailSpec spec) throws VmmException {
    try {
      return jail.launch(spec);
    } catch (JailException e) {
      throw new VmmException("launch " + spec.sandboxId() + ": jail step " + e.step() + " failed: " + e.getMessage(), e);
    }
  }

  private FirecrackerApi configure(LaunchSpec spec, ResolvedImage image, Path disk, JailedProcess p, boolean restore)
      throws VmmException {
    Path run = p.rootDir().resolve("run");
    UnixHttpClient http = UnixHttpClient.of(run.resolve("firecracker.sock"), options.controlTimeout());
    UnixHttpClient.Response info = ApiSocket.await(http, "/", p.onExit(), Duration.ofSeconds(10), "firecracker");
    FirecrackerApi api;
    try {
      api = FirecrackerApi.connect(http, new com.fasterxml.jackson.databind.ObjectMapper().readTree(info.body()));
    } catch (IOException e) {
      throw new VmmException("firecracker GET /: unreadable answer " + info.body(), e);
    }
    // Firecracker opens (does not create) its log and metrics files on older versions.
    ApiSocket.createOwnedFile(run.resolve("firecracker.log"), p.uid(), p.gid());
    ApiSocket.createOwnedFile(run.resolve("firecracker.metrics"), p.uid(), p.gid());
    api.putLogger(LOG);
    api.putMetrics(METRICS);
    if (restore) {
      api.loadSnapshot(SNAPSHOT_DIR + "/vm.state", SNAPSHOT_DIR + "/memory.bin", spec.network().map(n -> n.tapName()));
      return api;
    }
    api.putMachineConfig(spec.vcpus(), spec.memoryMiB());
    String cmdline = GuestCommandLine.build(image.kernelCommandLine(), 0, spec.network(), spec.command());
    api.putBootSource(KERNEL, image.initrd().map(i -> INITRD), cmdline);
    if (disk != null) {
      api.putDrive("disk0", DISK, false, false);
    }
    if (spec.network().isPresent()) {
      api.putNetworkInterface("eth0", spec.network().get().tapName(), spec.network().get().mac());
    }
    api.putVsock(options.guestCid(), VSOCK);
    api.action("InstanceStart");
    return api;
  }

  private static void awaitReady(FirecrackerInstance vm, String readyLine, Duration timeout) throws VmmException {
    ConsoleLog.Outcome outcome;
    try {
      outcome = ConsoleLog.of(vm.consoleLog()).awaitLine(readyLine, timeout, vm.onExit());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VmmException("launch " + vm.sandboxId() + ": interrupted while waiting for the guest", e);
    }
    if (outcome == ConsoleLog.Outcome.PROCESS_EXITED) {
      throw new VmmException("launch " + vm.sandboxId() + ": firecracker exited with status "
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
      UnixHttpClient http = UnixHttpClient.of(p.get().rootDir().resolve("run/firecracker.sock"), options.controlTimeout());
      UnixHttpClient.Response info = ApiSocket.await(http, "/", p.get().onExit(), Duration.ofSeconds(5), "firecracker");
      FirecrackerApi api = FirecrackerApi.connect(http, new com.fasterxml.jackson.databind.ObjectMapper().readTree(info.body()));
      return Optional.of(new FirecrackerInstance(p.get(), api, FirecrackerInstance.Setup.fromState(sandboxId, state)));
    } catch (VmmException | IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  @Override
  public void cleanup(String sandboxId) {
    jail.cleanup(sandboxId);
    Path disk = disks.remove(sandboxId);
    if (disk != null) {
      SandboxFiles.deleteQuietly(disk);
    }
    images.release(sandboxId);
  }
}
