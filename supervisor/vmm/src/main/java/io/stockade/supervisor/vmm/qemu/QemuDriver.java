package io.stockade.supervisor.vmm.qemu;

import io.stockade.images.DiskFormat;
import io.stockade.images.ImageResolver;
import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.jail.JailLauncher;
import io.stockade.supervisor.jail.JailSpec;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmDriver;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.VmmFeature;
import io.stockade.supervisor.vmm.VmmKind;
import io.stockade.supervisor.vmm.support.ConsoleRotation;
import io.stockade.supervisor.vmm.support.GuestCommandLine;
import io.stockade.supervisor.vmm.support.LaunchSteps;
import io.stockade.supervisor.vmm.support.VersionProbe;
import io.stockade.supervisor.vmm.support.VmDisks;
import io.stockade.supervisor.vmm.support.VmSetup;
import io.stockade.supervisor.vmm.support.SandboxFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Runs QEMU's microvm machine in a jail: builds the jail spec and command line, connects QMP,
 * waits for the image's readiness line, and restores snapshots through incoming migration.
 */
public final class QemuDriver implements VmmDriver {
  private final JailLauncher jail;
  private final Path qemuBinary;
  private final QemuOptions options;
  private final VmDisks disks;

  private QemuDriver(JailLauncher jail, ImageResolver images, Path qemuBinary, QemuOptions options) {
    this.jail = jail;
    this.disks = VmDisks.of(jail, images);
    this.qemuBinary = qemuBinary;
    this.options = options;
  }

  public static QemuDriver create(JailLauncher jail, ImageResolver images, Path qemuBinary, QemuOptions options) {
    return new QemuDriver(jail, images, qemuBinary, options);
  }

  @Override
  public VmmKind kind() {
    return VmmKind.QEMU;
  }

  @Override
  public Set<VmmFeature> features() {
    return EnumSet.allOf(VmmFeature.class);
  }

  @Override
  public Optional<String> version() {
    return VersionProbe.run(qemuBinary, Duration.ofSeconds(5));
  }

  @Override
  public VmInstance launch(LaunchSpec spec) throws VmmException {
    ResolvedImage image = LaunchSteps.requireImage(spec, "qemu", "");
    giveDataDisks(spec);
    Optional<QemuSnapshot.Manifest> restore = spec.restoreFrom().isEmpty() ? Optional.empty()
        : Optional.of(checkRestorable(spec, QemuSnapshot.readManifest(spec.restoreFrom().get())));
    // A restored guest keeps the command line it booted with.
    String cmdline = restore.isPresent()
        ? restore.get().kernelCommandLine()
        : GuestCommandLine.build(image.kernelCommandLine(), options.tscKhz(), spec.network(), spec.command());
    return disks.launchWith(spec, image, DiskFormat.QCOW2,
        restore.filter(QemuSnapshot.Manifest::disk).map(m -> spec.restoreFrom().get().resolve(QemuSnapshot.DISK)),
        disk -> LaunchSteps.inJail(jail, jailSpec(spec, image, disk, cmdline, restore.isPresent()), "qemu",
            "run/console.log", process -> {
              QemuInstance vm = QemuInstance.start(process, VmSetup.of(spec, image, disk), cmdline, options.controlTimeout());
              try {
                if (restore.isPresent()) {
                  vm.restoreFrom(spec.restoreFrom().get().resolve(QemuSnapshot.MEMORY));
                } else {
                  LaunchSteps.awaitReady(spec, image, "QEMU", vm);
                }
              } catch (VmmException e) {
                vm.closeConnections();
                throw e;
              }
              ConsoleRotation.watch(vm.consoleLog(), options.consoleMaxBytes(), Duration.ofSeconds(2), vm.onExit());
              return vm;
            }));
  }

  private static QemuSnapshot.Manifest checkRestorable(LaunchSpec spec, QemuSnapshot.Manifest m) throws VmmException {
    if (m.vcpus() != spec.vcpus() || m.memoryMiB() != spec.memoryMiB() || m.network() != spec.network().isPresent()) {
      throw new VmmException(
          "restore " + spec.sandboxId() + ": the snapshot was taken with " + m.vcpus() + " vCPUs, "
              + m.memoryMiB() + " MiB and network=" + m.network() + "; the request asks for " + spec.vcpus()
              + ", " + spec.memoryMiB() + " and " + spec.network().isPresent() + ": ask for the snapshot's shape");
    }
    return m;
  }

  /** QEMU runs as the sandbox's uid and opens its data disks read-write. */
  private void giveDataDisks(LaunchSpec spec) throws VmmException {
    for (Path d : spec.dataDisks()) {
      if (!Files.isRegularFile(d)) {
        throw new VmmException("launch " + spec.sandboxId() + ": data disk " + d
            + " does not exist: the daemon creates data disks before launching");
      }
      SandboxFiles.giveToSandbox(jail, spec.sandboxId(), d);
    }
  }

  private JailSpec jailSpec(LaunchSpec spec, ResolvedImage image, Path disk, String cmdline, boolean incoming) {
    List<JailSpec.Mount> mounts = LaunchSteps.bootMounts(image, QemuCommandLine.KERNEL, QemuCommandLine.INITRD);
    if (disk != null) {
      mounts.add(new JailSpec.Mount(image.rootfs().orElseThrow(), QemuCommandLine.ROOTFS, false));
      mounts.add(new JailSpec.Mount(disk, QemuCommandLine.DISK, true));
    }
    for (int i = 0; i < spec.dataDisks().size(); i++) {
      mounts.add(new JailSpec.Mount(spec.dataDisks().get(i), QemuCommandLine.dataDisk(i), true));
    }
    Optional<QemuCommandLine.Nic> nic =
        spec.network().map(n -> new QemuCommandLine.Nic(n.tapName(), n.mac()));
    List<String> argv =
        QemuCommandLine.build(
            options.accelerator(), spec.vcpus(), spec.memoryMiB(), cmdline, image.initrd().isPresent(),
            disk != null, nic, incoming, spec.dataDisks().size());
    List<String> devices = LaunchSteps.devices(options.accelerator() == QemuCommandLine.Accel.KVM, nic.isPresent());
    // QEMU in a user namespace mapping only the sandbox uid; it needs more threads than the others.
    return LaunchSteps.vmmJail(spec, qemuBinary, argv, mounts, devices, options.overheadMiB(), 512, "qemu", true);
  }

  @Override
  public Optional<VmInstance> reattach(String sandboxId, Map<String, String> state) {
    return LaunchSteps.reattach(jail, disks, sandboxId, state, (p, setup) -> {
      QemuInstance vm = QemuInstance.start(p, setup, state.get("kernelCommandLine"), options.controlTimeout());
      ConsoleRotation.watch(vm.consoleLog(), options.consoleMaxBytes(), Duration.ofSeconds(2), vm.onExit());
      return vm;
    });
  }

  @Override
  public void cleanup(String sandboxId) {
    disks.cleanup(sandboxId);
  }
}
