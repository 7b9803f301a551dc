package io.stockade.supervisor.preflight;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * Does /dev/kvm exist, open, and answer KVM ioctls? Asked of the device itself through ioctl
 * (KVM_GET_API_VERSION must be 12, KVM_CREATE_VM must return a VM fd), never from /proc/cpuinfo:
 * on nested hosts the vmx/svm flags may be hidden while KVM works, and present while it does not.
 */
final class KvmDeviceCheck {
  /** The stable KVM API version since Linux 2.6.22 (Documentation/virt/kvm/api.rst). */
  static final int KVM_API_VERSION = 12;

  /** @param answers the device answered both ioctls: the boot probe may run */
  record Outcome(List<CheckResult> results, boolean answers) {}

  private KvmDeviceCheck() {}

  static Outcome check(Path device) {
    List<CheckResult> results = new ArrayList<>();
    PosixFileAttributes attrs;
    try {
      attrs = Files.readAttributes(device, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      results.add(
          CheckResult.warn(
              "kvm.device",
              device + " missing (ENOENT)",
              "load the KVM module (`modprobe kvm_intel` or `modprobe kvm_amd`) and enable"
                  + " virtualization (VT-x/AMD-V) in the firmware; on a VM, enable nested"
                  + " virtualization on its host. Until then guests run under TCG (software"
                  + " emulation, several times slower)"));
      return new Outcome(results, false);
    }
    String described = describe(device, attrs);
    int fd = Libc.openReadWrite(device.toString());
    if (fd < 0) {
      results.add(CheckResult.warn("kvm.device", notOpenable(device, described, -fd), openRemedy(device, attrs, -fd)));
      return new Outcome(results, false);
    }
    try {
      int version = Libc.ioctl(fd, Libc.KVM_GET_API_VERSION, 0);
      if (version < 0) {
        results.add(
            CheckResult.warn(
                "kvm.device",
                described
                    + ": answers no KVM ioctls (KVM_GET_API_VERSION: "
                    + Libc.errnoName(-version)
                    + "): not a KVM device",
                "point the supervisor at the real /dev/kvm (char 10:232 created by the kvm"
                    + " module); guests run under TCG until then"));
        return new Outcome(results, false);
      }
      if (version != KVM_API_VERSION) {
        results.add(
            CheckResult.warn(
                "kvm.device",
                described + ": KVM_GET_API_VERSION returned " + version + ", expected 12",
                "this kernel's KVM speaks an API QEMU does not; guests run under TCG"));
        return new Outcome(results, false);
      }
      int vm = Libc.ioctl(fd, Libc.KVM_CREATE_VM, 0);
      if (vm < 0) {
        results.add(
            CheckResult.warn(
                "kvm.device",
                described + ": API version 12, but KVM_CREATE_VM failed (" + Libc.errnoName(-vm) + ")",
                "KVM refuses to create VMs (another hypervisor holding VT-x, or virtualization"
                    + " disabled in firmware / by the host); guests run under TCG until then"));
        return new Outcome(results, false);
      }
      Libc.close(vm);
      results.add(CheckResult.ok("kvm.device", described + ": API version 12, KVM_CREATE_VM ok"));
      return new Outcome(results, true);
    } finally {
      Libc.close(fd);
    }
  }

  private static String notOpenable(Path device, String described, int errno) {
    String who = "uid " + Libc.geteuid();
    if (errno == Libc.EACCES || errno == Libc.EPERM) {
      return device + " not readable by " + who + " (" + Libc.errnoName(errno) + "); " + described;
    }
    return device + " cannot be opened by " + who + " (" + Libc.errnoName(errno) + "); " + described;
  }

  private static String openRemedy(Path device, PosixFileAttributes attrs, int errno) {
    if (errno != Libc.EACCES && errno != Libc.EPERM) {
      return "the kvm module is loaded but the device does not open (ENXIO/ENODEV: module"
          + " unloaded or virtualization disabled): `modprobe kvm_intel` or `modprobe kvm_amd`;"
          + " guests run under TCG until then";
    }
    String group = attrs.group().getName();
    boolean groupCanUse =
        attrs.permissions().contains(PosixFilePermission.GROUP_READ)
            && attrs.permissions().contains(PosixFilePermission.GROUP_WRITE);
    String grant =
        groupCanUse
            ? "add the supervisor's user to group " + group + " (SupplementaryGroups=" + group
                + " in stockade.service), or run as root"
            : "make the device group-accessible (`chgrp kvm " + device + " && chmod 0660 " + device
                + "`, made permanent by a udev rule KERNEL==\"kvm\", GROUP=\"kvm\", MODE=\"0660\"),"
                + " then add the supervisor's user to group kvm, or run as root";
    if (Libc.geteuid() == 0) {
      // Root without CAP_DAC_OVERRIDE is refused like any other uid.
      grant += " with CAP_DAC_OVERRIDE";
    }
    return grant;
  }

  static String describe(Path device, PosixFileAttributes attrs) {
    String type =
        attrs.isOther() ? "c" : attrs.isDirectory() ? "d" : attrs.isRegularFile() ? "-" : "?";
    String rdev = "";
    if (attrs.isOther()) {
      try {
        long dev = (long) Files.getAttribute(device, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
        rdev = " " + major(dev) + ":" + minor(dev);
      } catch (IOException | UnsupportedOperationException e) {
        rdev = ""; // the unix view is a JDK detail; the numbers are only informative here
      }
    }
    return device + ": " + type + PosixFilePermissions.toString(attrs.permissions()) + " "
        + attrs.owner().getName() + ":" + attrs.group().getName() + rdev;
  }

  /** glibc's gnu_dev_major/minor encoding of dev_t. */
  static long major(long dev) {
    return ((dev >>> 8) & 0xfffL) | ((dev >>> 32) & ~0xfffL);
  }

  static long minor(long dev) {
    return (dev & 0xffL) | ((dev >>> 12) & ~0xffL);
  }
}
