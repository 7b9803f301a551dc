package io.stockade.supervisor.vmm.qemu;

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
import io.stockade.supervisor.vmm.support.ConsoleLog;
import io.stockade.supervisor.vmm.support.GuestCommandLine;
import io.stockade.supervisor.vmm.support.SandboxFiles;
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
 * Runs QEMU's microvm machine in a jail: builds the jail spec and command line, connects QMP,
 * waits for the image's readiness line, and restores snapshots through incoming migration.
 */
public final class QemuDriver implements VmmDriver {
  private final JailLauncher jail;
  private final ImageResolver images;
  private final Path qemuBinary;
  private final QemuOptions options;
  /** Disks this driver created, so cleanup(id) can remove them. */
  private final Map<String, Path> disks = new ConcurrentHashMap<>();

  private QemuDriver(JailLauncher jail, ImageResolver images, Path qemuBinary, QemuOptions options) {
    this.jail = jail;
    this.images = images;
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
    ResolvedImage image =
        spec.image().orElseThrow(() -> new VmmException("launch " + spec.sandboxId() + ": a qemu sandbox needs an image"));
    if (!image.vmmKinds().isEmpty() && !image.vmmKinds().contains("qemu")) {
      throw new VmmException(
          "launch " + spec.sandboxId() + ": image " + image.name() + " boots only on " + image.vmmKinds());
    }
    Optional<QemuSnapshot.Manifest> restore = Optional.empty();
    if (spec.restoreFrom().isPresent()) {
      restore = Optional.of(checkRestorable(spec, QemuSnapshot.readManifest(spec.restoreFrom().get())));
    }
    Path disk = null;
    try {
      Files.createDirectories(spec.sandboxDir());
      disk = prepareDisk(spec, image, restore);
      String cmdline =
          restore.isPresent()
              ? restore.get().kernelCommandLine()
              : GuestCommandLine.build(image.kernelCommandLine(), options.tscKhz(), spec.network(), spec.command());
      JailSpec jailSpec = jailSpec(spec, image, disk, cmdline, restore.isPresent());
      JailedProcess process = launchJail(jailSpec);
      QemuInstance vm = null;
      try {
        vm = QemuInstance.start(process, QemuInstance.Setup.of(spec, image, disk, cmdline), options.controlTimeout());
        if (restore.isPresent()) {
          vm.restoreFrom(spec.restoreFrom().get().resolve(QemuSnapshot.MEMORY));
        } else {
          awaitReady(vm, image.readyLine(), spec.readyTimeout());
        }
        return vm;
      } catch (VmmException e) {
        String tail = consoleTail(process, vm);
        abandon(process, vm);
        throw new VmmException(e.getMessage() + consoleSuffix(tail), e, false, tail);
      }
    } catch (VmmException e) {
      removeDisk(spec.sandboxId(), disk);
      throw e;
    } catch (IOException e) {
      removeDisk(spec.sandboxId(), disk);
      throw new VmmException("launch " + spec.sandboxId() + ": cannot create " + spec.sandboxDir() + ": " + e.getMessage(), e);
    }
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

  private Path prepareDisk(LaunchSpec spec, ResolvedImage image, Optional<QemuSnapshot.Manifest> restore)
      throws VmmException, IOException {
    Path disk;
    if (restore.isPresent()) {
      if (!restore.get().disk()) {
        return null;
      }
      disk = spec.sandboxDir().resolve("disk.qcow2");
      Files.copy(spec.restoreFrom().get().resolve(QemuSnapshot.DISK), disk);
    } else if (image.rootfs().isPresent()) {
      try {
        disk = images.createWritableDisk(image, spec.sandboxId(), spec.sandboxDir(), DiskFormat.QCOW2);
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

  private JailSpec jailSpec(LaunchSpec spec, ResolvedImage image, Path disk, String cmdline, boolean incoming) {
    List<JailSpec.Mount> mounts = new ArrayList<>(SystemMounts.readOnly());
    mounts.add(new JailSpec.Mount(image.kernel(), QemuCommandLine.KERNEL, false));
    image.initrd().ifPresent(i -> mounts.add(new JailSpec.Mount(i, QemuCommandLine.INITRD, false)));
    if (disk != null) {
      mounts.add(new JailSpec.Mount(image.rootfs().orElseThrow(), QemuCommandLine.ROOTFS, false));
      mounts.add(new JailSpec.Mount(disk, QemuCommandLine.DISK, true));
    }
    List<String> devices = new ArrayList<>(List.of("null", "urandom"));
    if (options.accelerator() == QemuCommandLine.Accel.KVM) {
      devices.add("kvm");
    }
    Optional<QemuCommandLine.Nic> nic =
        spec.network().map(n -> new QemuCommandLine.Nic(n.tapName(), n.mac()));
    if (nic.isPresent()) {
      devices.add("net/tun");
    }
    List<String> argv =
        QemuCommandLine.build(
            options.accelerator(), spec.vcpus(), spec.memoryMiB(), cmdline, image.initrd().isPresent(),
            disk != null, nic, incoming);
    long memoryBytes = (spec.memoryMiB() + options.overheadMiB()) * 1024 * 1024;
    // fileSize 0: QEMU writes the snapshot's memory file through a passed descriptor, and
    // RLIMIT_FSIZE would kill it with SIGXFSZ half way through.
    JailSpec.Limits limits = new JailSpec.Limits(spec.vcpus() * 1000L, memoryBytes, 512, 1024, 0);
    return new JailSpec(
        spec.sandboxId(), qemuBinary, argv, Map.of(), mounts, devices,
        spec.network().map(n -> n.netnsPath()), limits, "qemu", true, "/");
  }

  private JailedProcess launchJail(JailSpec spec) throws VmmException {
    try {
      return jail.launch(spec);
    } catch (JailException e) {
      throw new VmmException("launch " + spec.sandboxId() + ": jail step " + e.step() + " failed: " + e.getMessage(), e);
    }
  }

  private static void awaitReady(QemuInstance vm, String readyLine, Duration timeout) throws VmmException {
    ConsoleLog.Outcome outcome;
    try {
      outcome = ConsoleLog.of(vm.consoleLog()).awaitLine(readyLine, timeout, vm.onExit());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VmmException("launch " + vm.sandboxId() + ": interrupted while waiting for the guest", e);
    }
    switch (outcome) {
      case SEEN:
        return;
      case PROCESS_EXITED:
        throw new VmmException(
            "launch " + vm.sandboxId() + ": QEMU exited with status " + vm.onExit().getNow(-1)
                + " before the guest printed '" + readyLine + "'");
      default:
        throw new VmmException(
            "launch " + vm.sandboxId() + ": the guest did not print '" + readyLine + "' within " + timeout
                + " (a hung boot: check the kernel command line and the console below)");
    }
  }

  /** Kills what a failed launch started and removes its jail. */
  private void abandon(JailedProcess process, QemuInstance vm) {
    if (vm != null) {
      vm.closeConnections();
    }
    process.killAll();
    try {
      process.onExit().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Still going after cgroup.kill and 10 s: cleanup below reports what it cannot remove.
    }
    jail.cleanup(process.sandboxId());
  }

  private static String consoleTail(JailedProcess process, QemuInstance vm) {
    String qemu = ConsoleLog.tail(process.consoleFile(), 10);
    String guest = vm == null ? "" : ConsoleLog.tail(vm.consoleLog(), 30);
    if (vm == null) {
      guest = ConsoleLog.tail(process.rootDir().resolve("run/console.log"), 30);
    }
    StringBuilder b = new StringBuilder();
    if (!qemu.isBlank()) {
      b.append("[qemu]\n").append(qemu.strip()).append('\n');
    }
    if (!guest.isBlank()) {
      b.append("[guest console]\n").append(guest.strip()).append('\n');
    }
    return b.toString();
  }

  private static String consoleSuffix(String tail) {
    return tail.isBlank() ? "" : "\n" + tail;
  }

  private void removeDisk(String sandboxId, Path disk) {
    if (disk != null) {
      SandboxFiles.deleteQuietly(disk);
      disks.remove(sandboxId, disk);
      images.release(sandboxId);
    }
  }

  @Override
  public Optional<VmInstance> reattach(String sandboxId, Map<String, String> state) {
    Optional<QemuInstance> vm = QemuInstance.reattach(jail, sandboxId, state, options.controlTimeout());
    String disk = state.getOrDefault("disk", "");
    if (vm.isPresent() && !disk.isEmpty()) {
      disks.put(sandboxId, Path.of(disk)); // so that cleanup(id) after a restart removes it
    }
    return vm.map(v -> v);
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
