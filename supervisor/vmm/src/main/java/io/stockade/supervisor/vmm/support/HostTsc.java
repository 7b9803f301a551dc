package io.stockade.supervisor.vmm.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The host's TSC frequency in kHz, for the guest kernel's {@code tsc_early_khz=}. Without it a
 * guest under TCG here hangs in about one boot of four at "tsc: Unable to calibrate against PIT".
 */
public final class HostTsc {
  private HostTsc() {}

  /** Reads {@code sys}'s tsc_freq_khz, else the first "cpu MHz" of {@code cpuinfo}. */
  public static OptionalLong khz(Path sysTscFreqKhz, Path cpuinfo) {
    try {
      if (Files.isReadable(sysTscFreqKhz)) {
        return OptionalLong.of(Long.parseLong(Files.readString(sysTscFreqKhz).trim()));
      }
      // On x86 with a constant TSC (every host that runs VMs today) "cpu MHz" is the TSC rate
      // the kernel calibrated at boot; in a VM it is exactly the hypervisor's advertised rate.
      for (String line : Files.readAllLines(cpuinfo)) {
        if (line.startsWith("cpu MHz")) {
          String mhz = line.substring(line.indexOf(':') + 1).trim();
          return OptionalLong.of(Math.round(Double.parseDouble(mhz) * 1000));
        }
      }
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
  }

  public static OptionalLong khz() {
    return khz(
        Path.of("/sys/devices/system/cpu/cpu0/tsc_freq_khz"), Path.of("/proc/cpuinfo"));
  }
}
