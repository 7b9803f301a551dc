package io.stockade.supervisor.vmm.qemu;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Builds QEMU's argv for a microvm guest. Paths are the jail's: the driver binds the kernel,
 * initrd and disks under {@code /vm} and QEMU creates its sockets in the jail's {@code /run}.
 * Tests assert the exact list.
 */
final class QemuCommandLine {
  static final String KERNEL = "/vm/kernel";
  static final String INITRD = "/vm/initrd";
  static final String ROOTFS = "/vm/rootfs";
  static final String DISK = "/vm/disk.qcow2";
  static final String QMP = "/run/qmp.sock";
  static final String CONSOLE_SOCKET = "/run/console.sock";
  static final String CONSOLE_LOG = "/run/console.log";

  private static final Pattern TAP = Pattern.compile("[A-Za-z0-9_.-]{1,15}");
  private static final Pattern MAC = Pattern.compile("([0-9a-f]{2}:){5}[0-9a-f]{2}");

  enum Accel {
    KVM,
    TCG
  }

  /** A TAP device (inside the sandbox's network namespace) and the guest's MAC. */
  record Nic(String tap, String mac) {
    Nic {
      if (!TAP.matcher(tap).matches()) {
        throw new IllegalArgumentException("TAP name '" + tap + "' is not a valid interface name");
      }
      if (!MAC.matcher(mac).matches()) {
        throw new IllegalArgumentException("MAC '" + mac + "' is not aa:bb:cc:dd:ee:ff in lower case");
      }
    }
  }

  private QemuCommandLine() {}

  /**
   * @param incoming start paused, waiting for {@code migrate-incoming} (restore from a snapshot)
   */
  static List<String> build(
      Accel accel,
      int vcpus,
      long memoryMiB,
      String kernelCommandLine,
      boolean initrd,
      boolean disk,
      Optional<Nic> nic,
      boolean incoming) {
    Objects.requireNonNull(kernelCommandLine, "kernelCommandLine");
    if (vcpus < 1 || memoryMiB < 16) {
      throw new IllegalArgumentException("a microvm needs at least 1 vCPU and 16 MiB, got " + vcpus + " and " + memoryMiB);
    }
    List<String> a = new ArrayList<>();
    a.add("qemu-system-x86_64");
    a.add("-M");
    // rtc and pit: the guest's clock calibration needs them; microvm turns them off by default.
    a.add("microvm,rtc=on,pit=on");
    a.add("-accel");
    // TCG's translation cache defaults to 1 GiB; 64 MiB keeps QEMU inside the cgroup's memory
    // allowance (guest RAM + overhead) with no measurable boot-time cost.
    a.add(accel == Accel.KVM ? "kvm" : "tcg,tb-size=64");
    if (accel == Accel.KVM) {
      a.add("-cpu");
      a.add("host");
    }
    a.add("-m");
    a.add(Long.toString(memoryMiB));
    a.add("-smp");
    a.add(Integer.toString(vcpus));
    a.add("-nographic");
    a.add("-no-reboot");
    a.add("-nodefaults");
    a.add("-no-user-config");
    a.add("-kernel");
    a.add(KERNEL);
    if (initrd) {
      a.add("-initrd");
      a.add(INITRD);
    }
    a.add("-append");
    a.add(kernelCommandLine);
    a.add("-qmp");
    a.add("unix:" + QMP + ",server=on,wait=off");
    // The serial console is a socket the supervisor can write to (typing into the guest) whose
    // output QEMU also appends to a log, whether or not anyone is connected.
    a.add("-chardev");
    a.add("socket,id=con,path=" + CONSOLE_SOCKET + ",server=on,wait=off,logfile=" + CONSOLE_LOG + ",logappend=on");
    a.add("-serial");
    a.add("chardev:con");
    if (disk) {
      // The backing file is named here rather than read from the overlay's header: the header
      // holds the host path of the image in the store, which does not exist inside the jail.
      a.add("-drive");
      a.add("if=none,id=d0,driver=qcow2,file.filename=" + DISK + ",backing.driver=raw,backing.file.filename=" + ROOTFS);
      a.add("-device");
      a.add("virtio-blk-device,drive=d0");
    }
    if (nic.isPresent()) {
      a.add("-netdev");
      a.add("tap,id=n0,ifname=" + nic.get().tap() + ",script=no,downscript=no");
      a.add("-device");
      a.add("virtio-net-device,netdev=n0,mac=" + nic.get().mac());
    }
    if (incoming) {
      a.add("-incoming");
      a.add("defer");
    }
    return List.copyOf(a);
  }
}
