package io.stockade.supervisor.vmm.cloudhypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.images.DiskFormat;
import io.stockade.images.ImageResolver;
import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.jail.JailLauncher;
import io.stockade.supervisor.jail.JailSpec;
import io.stockade.supervisor.jail.JailedProcess;
import io.stockade.supervisor.net.SandboxNetwork;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmDriver;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.VmmFeature;
import io.stockade.supervisor.vmm.VmmKind;
import io.stockade.supervisor.vmm.support.ApiSocket;
import io.stockade.supervisor.vmm.support.GuestCommandLine;
import io.stockade.supervisor.vmm.support.LaunchSteps;
import io.stockade.supervisor.vmm.support.SandboxFiles;
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
 * Runs cloud-hypervisor in a jail: vmm.ping, vm.create, vm.boot; or vm.restore + vm.resume from
 * a snapshot. Paths in the VM config are the jail's, so a snapshot's config stays valid in the
 * next jail (only the TAP name is rewritten, when the network changed).
 */
public final class CloudHypervisorDriver implements VmmDriver {
  static final String API_SOCKET = "/run/cloud-hypervisor.sock";
  static final String SNAPSHOT_DIR = "/snapshot";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final JailLauncher jail;
  private final Path binary;
  private final CloudHypervisorOptions options;
  private final VmDisks disks;

  private CloudHypervisorDriver(JailLauncher jail, ImageResolver images, Path binary, CloudHypervisorOptions options) {
    this.jail = jail;
    this.disks = VmDisks.of(jail, images);
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
    if (!spec.dataDisks().isEmpty()) {
      // The daemon refuses these at Create; a direct caller gets the same answer, not a VM without them.
      throw VmmException.unsupported(VmmKind.CLOUD_HYPERVISOR, "data disks");
    }
    ResolvedImage image = LaunchSteps.requireImage(spec, "cloud-hypervisor", "");
    boolean restore = spec.restoreFrom().isPresent();
    if (restore) {
      SnapshotManifest.read(spec.restoreFrom().get(), "cloud-hypervisor")
          .requireShape(id, spec.vcpus(), spec.memoryMiB(), spec.network().isPresent());
    }
    // Raw: a qcow2 overlay would need backing_files=on, which older releases lack.
    return disks.launchWith(spec, image, DiskFormat.RAW,
        spec.restoreFrom().map(d -> d.resolve("disk.raw")).filter(Files::exists),
        disk -> LaunchSteps.inJail(jail, jailSpec(spec, image, disk), "cloud-hypervisor", "run/console.log", process -> {
          CloudHypervisorInstance vm = new CloudHypervisorInstance(process, configure(spec, image, disk, process),
              VmSetup.of(spec, image, disk));
          if (!restore) {
            LaunchSteps.awaitReady(spec, image, "cloud-hypervisor", vm);
          }
          return vm;
        }));
  }

  private JailSpec jailSpec(LaunchSpec spec, ResolvedImage image, Path disk) throws IOException {
    List<JailSpec.Mount> mounts = LaunchSteps.bootMounts(image, "/vm/kernel", "/vm/initrd");
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
    List<String> argv = List.of("cloud-hypervisor", "--api-socket", "path=" + API_SOCKET,
        "--log-file", "/run/cloud-hypervisor.log");
    return LaunchSteps.vmmJail(spec, binary, argv, mounts, LaunchSteps.devices(true, spec.network().isPresent()),
        options.overheadMiB(), 128, "cloud-hypervisor", false);
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

  @Override
  public Optional<VmInstance> reattach(String sandboxId, Map<String, String> state) {
    return LaunchSteps.reattach(jail, disks, sandboxId, state, (p, setup) -> new CloudHypervisorInstance(p,
        connect(UnixHttpClient.of(p.rootDir().resolve("run/cloud-hypervisor.sock"), options.controlTimeout()), p),
        setup));
  }

  @Override
  public void cleanup(String sandboxId) {
    disks.cleanup(sandboxId).ifPresent(d -> SandboxFiles.deleteQuietly(d.resolveSibling("restore-config.json")));
  }
}
