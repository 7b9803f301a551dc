package io.stockade.supervisor.vmm.qemu;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How the daemon wants QEMU run on this host.
 *
 * @param accel "kvm" or "tcg", from preflight's boot probe ("/dev/kvm exists" is not enough: on
 *     hosts with paravirtual nesting stock kernels hang under KVM)
 * @param tscKhz the host TSC in kHz for the guest's {@code tsc_early_khz=}; 0 leaves it out
 * @param controlTimeout how long a QMP command may take to answer
 * @param overheadMiB memory allowed to QEMU itself on top of guest RAM, for the cgroup limit
 */
public record QemuOptions(String accel, long tscKhz, Duration controlTimeout, long overheadMiB) {
  public QemuOptions {
    accel = Objects.requireNonNull(accel, "accel").toLowerCase(Locale.ROOT);
    if (!accel.equals("kvm") && !accel.equals("tcg")) {
      throw new IllegalArgumentException("QEMU accelerator '" + accel + "' is neither kvm nor tcg");
    }
    if (tscKhz < 0) {
      throw new IllegalArgumentException("tscKhz must be >= 0, got " + tscKhz);
    }
    Objects.requireNonNull(controlTimeout, "controlTimeout");
  }

  public static QemuOptions of(String accel, long tscKhz) {
    return new QemuOptions(accel, tscKhz, Duration.ofSeconds(10), 320);
  }

  QemuCommandLine.Accel accelerator() {
    return accel.equals("kvm") ? QemuCommandLine.Accel.KVM : QemuCommandLine.Accel.TCG;
  }
}
