package io.stockade.supervisor.vmm.firecracker;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.stockade.images.DiskFormat;
import io.stockade.images.ImageResolver;
import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.jail.JailLauncher;
import io.stockade.supervisor.jail.JailSpec;
import io.stockade.supervisor.jail.JailedProcess;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmDriver;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.VmmFeature;
import io.stockade.supervisor.vmm.VmmKind;
import io.stockade.supervisor.vmm.support.ApiSocket;
import io.stockade.supervisor.vmm.support.GuestCommandLine;
import io.stockade.supervisor.vmm.support.LaunchSteps;
import io.stockade.supervisor.vmm.support.SnapshotManifest;
import io.stockade.supervisor.vmm.support.UnixHttpClient;
import io.stockade.supervisor.vmm.support.VersionProbe;
import io.stockade.supervisor.vmm.support.VmDisks;
import io.stockade.supervisor.vmm.support.VmSetup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
  private static final ObjectMapper JSON = new ObjectMapper();

  private final JailLauncher jail;
  private final Path binary;
  private final FirecrackerOptions options;
  private final VmDisks disks;

  private FirecrackerDriver(JailLauncher jail, ImageResolver images, Path binary, FirecrackerOptions options) {
    this.jail = jail;
    this.disks = VmDisks.of(jail, images);
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
    if (!spec.dataDisks().isEmpty()) {
      // The daemon refuses these at Create; a direct caller gets the same answer, not a VM without them.
      throw VmmException.unsupported(VmmKind.FIRECRACKER, "data disks");
    }
    ResolvedImage image = LaunchSteps.requireImage(spec, "firecracker",
        " (Firecracker needs a kernel with CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES)");
    boolean restore = spec.restoreFrom().isPresent();
    if (restore) {
      SnapshotManifest.read(spec.restoreFrom().get(), "firecracker")
          .requireShape(id, spec.vcpus(), spec.memoryMiB(), spec.network().isPresent());
    }
    return disks.launchWith(spec, image, DiskFormat.RAW,
        spec.restoreFrom().map(d -> d.resolve("disk.raw")).filter(Files::exists),
        disk -> LaunchSteps.inJail(jail, jailSpec(spec, image, disk), "firecracker", "", process -> {
          FirecrackerInstance vm = new FirecrackerInstance(process, configure(spec, image, disk, process, restore),
              VmSetup.of(spec, image, disk));
          if (!restore) {
            LaunchSteps.awaitReady(spec, image, "firecracker", vm);
          }
          return vm;
        }));
  }

  private JailSpec jailSpec(LaunchSpec spec, ResolvedImage image, Path disk) {
    List<JailSpec.Mount> mounts = LaunchSteps.bootMounts(image, KERNEL, INITRD);
    if (disk != null) {
      mounts.add(new JailSpec.Mount(disk, DISK, true));
    }
    spec.restoreFrom().ifPresent(d -> mounts.add(new JailSpec.Mount(d, SNAPSHOT_DIR, false)));
    List<String> argv = List.of("firecracker", "--api-sock", API_SOCKET, "--id", spec.sandboxId());
    // No user namespace: as Firecracker's own jailer runs it.
    return LaunchSteps.vmmJail(spec, binary, argv, mounts, LaunchSteps.devices(true, spec.network().isPresent()),
        options.overheadMiB(), 128, "firecracker", false);
  }

  private FirecrackerApi configure(LaunchSpec spec, ResolvedImage image, Path disk, JailedProcess p, boolean restore)
      throws VmmException {
    Path run = p.rootDir().resolve("run");
    FirecrackerApi api = connect(p, Duration.ofSeconds(10));
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

  /** Waits for the API socket to answer {@code GET /}, whose {@code vmm_version} selects the API's fields. */
  private FirecrackerApi connect(JailedProcess p, Duration wait) throws VmmException {
    UnixHttpClient http = UnixHttpClient.of(p.rootDir().resolve("run/firecracker.sock"), options.controlTimeout());
    UnixHttpClient.Response info = ApiSocket.await(http, "/", p.onExit(), wait, "firecracker");
    try {
      return FirecrackerApi.connect(http, JSON.readTree(info.body()));
    } catch (IOException e) {
      throw new VmmException("firecracker GET /: unreadable answer " + info.body(), e);
    }
  }

  @Override
  public Optional<VmInstance> reattach(String sandboxId, Map<String, String> state) {
    return LaunchSteps.reattach(jail, disks, sandboxId, state,
        (p, setup) -> new FirecrackerInstance(p, connect(p, Duration.ofSeconds(5)), setup));
  }

  @Override
  public void cleanup(String sandboxId) {
    disks.cleanup(sandboxId);
  }
}
