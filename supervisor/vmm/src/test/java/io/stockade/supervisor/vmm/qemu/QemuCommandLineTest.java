package io.stockade.supervisor.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QemuCommandLineTest {
  @Test
  void tcgGuestWithDiskAndNetwork() {
    assertThat(QemuCommandLine.build(QemuCommandLine.Accel.TCG, 2, 256, "console=ttyS0", true, true,
        Optional.of(new QemuCommandLine.Nic("stk-t3", "02:53:54:00:00:03")), false))
        .containsExactly(
            "qemu-system-x86_64", "-M", "microvm,rtc=on,pit=on", "-accel", "tcg,tb-size=64",
            "-m", "256", "-smp", "2", "-nographic", "-no-reboot", "-nodefaults", "-no-user-config",
            "-kernel", "/vm/kernel", "-initrd", "/vm/initrd", "-append", "console=ttyS0",
            "-qmp", "unix:/run/qmp.sock,server=on,wait=off",
            "-chardev", "socket,id=con,path=/run/console.sock,server=on,wait=off,logfile=/run/console.log,logappend=on",
            "-serial", "chardev:con",
            "-drive", "if=none,id=d0,driver=qcow2,file.filename=/vm/disk.qcow2,backing.driver=raw,backing.file.filename=/vm/rootfs",
            "-device", "virtio-blk-device,drive=d0",
            "-netdev", "tap,id=n0,ifname=stk-t3,script=no,downscript=no",
            "-device", "virtio-net-device,netdev=n0,mac=02:53:54:00:00:03");
  }

  @Test
  void kvmRestoreWithoutDiskOrInitrd() {
    List<String> a = QemuCommandLine.build(QemuCommandLine.Accel.KVM, 1, 128, "x", false, false, Optional.empty(), true);
    assertThat(a).containsSubsequence("-accel", "kvm", "-cpu", "host").doesNotContain("-initrd", "-drive", "-netdev")
        .endsWith("-incoming", "defer");
  }

  @Test
  void refusesNamesThatWouldInjectOptions() {
    assertThatThrownBy(() -> new QemuCommandLine.Nic("tap0,script=/x", "02:00:00:00:00:01"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new QemuCommandLine.Nic("tap0", "02:00:00:00:00:01,romfile=/x"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
