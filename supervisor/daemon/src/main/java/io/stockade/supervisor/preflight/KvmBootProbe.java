package io.stockade.supervisor.preflight;

import io.stockade.supervisor.preflight.PreflightReport.KvmVerdict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Tells "KVM usable for guests" apart from "/dev/kvm answers ioctls": boots the probe image under
 * -accel kvm and waits for its readiness line. On a host that is itself a VM with paravirtual
 * nesting a stock kernel stops after "Probing EDD" and never gets further; ioctls alone cannot
 * see that. When KVM times out, the same image is booted once under TCG as a control, so a broken
 * probe image is never reported as a KVM problem, and the TCG figure is the real fallback cost.
 */
final class KvmBootProbe {
  static final String DEFAULT_QEMU = "/usr/bin/qemu-system-x86_64";
  /** TCG is slower by design: the control boot gets this many times the KVM timeout. */
  private static final int TCG_TIMEOUT_FACTOR = 3;

  record Outcome(KvmVerdict verdict, Optional<CheckResult> result) {}

  private KvmBootProbe() {}

  static Outcome run(PreflightInputs in, HostRoot host, boolean kvmAnswers) {
    if (!kvmAnswers) {
      return new Outcome(KvmVerdict.UNAVAILABLE, Optional.empty());
    }
    Optional<Path> kernel = in.bootProbeKernel();
    if (kernel.isEmpty() || !Files.isRegularFile(kernel.get())) {
      return notProbed(
          "/dev/kvm answers, but no probe kernel"
              + kernel.map(k -> " (" + k + " missing)").orElse(" configured")
              + ": whether guests boot under KVM is unknown",
          "build the default image (scripts/build-image) and run `stockade-supervisor preflight"
              + " --probe-boot`; until then the QEMU driver uses TCG");
    }
    Path qemu = Optional.ofNullable(in.vmmBinaries().get("qemu")).orElse(Path.of(DEFAULT_QEMU));
    if (!Files.isExecutable(qemu)) {
      return notProbed(
          "/dev/kvm answers, but " + qemu + " is missing: boot probe not run",
          "apt-get install qemu-system-x86, then `stockade-supervisor preflight --probe-boot`");
    }
    String qemuVersion = Commands.run(Commands.DEFAULT_TIMEOUT, List.of(qemu.toString(), "--version")).firstLine();
    String release = host.read("/proc/sys/kernel/osrelease").orElse("unknown");
    String key = BootProbeCache.key(release, qemuVersion);
    BootProbeCache cache = new BootProbeCache(in.bootProbeCache());
    if (!in.rerunBootProbe()) {
      Optional<BootProbeCache.Entry> cached = cache.lookup(key);
      if (cached.isPresent()) {
        BootProbeCache.Entry e = cached.get();
        String found = e.found() + " (cached " + e.probedAt() + "; `--probe-boot` probes again)";
        return new Outcome(e.verdict(), Optional.of(resultFor(e.verdict(), found)));
      }
    }
    Outcome outcome = probe(in, host, qemu, kernel.get());
    if (outcome.verdict() == KvmVerdict.USABLE || outcome.verdict() == KvmVerdict.ANSWERS_BUT_GUESTS_HANG) {
      try {
        cache.store(
            key,
            new BootProbeCache.Entry(
                outcome.verdict(), outcome.result().orElseThrow().found(), Instant.now().toString()));
      } catch (IOException e) {
        // Not fatal: the verdict stands, the probe just runs again next start.
        return new Outcome(
            outcome.verdict(),
            outcome.result().map(r -> withNote(r, "; verdict not cached: " + e.getMessage())));
      }
    }
    return outcome;
  }

  private static Outcome probe(PreflightInputs in, HostRoot host, Path qemu, Path kernel) {
    Duration timeout = in.bootProbeTimeout();
    GuestBoot.Result kvm =
        GuestBoot.boot(command(qemu, "kvm", kernel, in.bootProbeInitrd(), host), in.bootProbeReadyLine(), timeout);
    if (kvm.ready()) {
      String found =
          "KVM usable for guests: " + kernel.getFileName() + " printed " + in.bootProbeReadyLine()
              + " under -accel kvm after " + seconds(kvm.elapsed());
      return new Outcome(KvmVerdict.USABLE, Optional.of(resultFor(KvmVerdict.USABLE, found)));
    }
    if (!kvm.timedOut()) {
      return notProbed(
          "boot probe inconclusive: QEMU exited (status " + kvm.exitCode() + ") under -accel kvm"
              + " before " + in.bootProbeReadyLine() + "; last output: "
              + quote(kvm.lastQemuMessage().isEmpty() ? kvm.lastConsoleLine() : kvm.lastQemuMessage()),
          "check the probe image and QEMU by hand with the command in docs/operations.md; the"
              + " QEMU driver uses TCG until a probe succeeds");
    }
    GuestBoot.Result tcg =
        GuestBoot.boot(
            command(qemu, "tcg", kernel, in.bootProbeInitrd(), host),
            in.bootProbeReadyLine(),
            timeout.multipliedBy(TCG_TIMEOUT_FACTOR));
    if (!tcg.ready()) {
      return notProbed(
          "boot probe inconclusive: the probe image reached neither " + in.bootProbeReadyLine()
              + " under KVM (" + seconds(timeout) + ") nor under TCG (last console line "
              + quote(tcg.lastConsoleLine()) + ")",
          "rebuild the probe image (scripts/build-image) and run `stockade-supervisor preflight"
              + " --probe-boot`; the QEMU driver uses TCG until a probe succeeds");
    }
    String found =
        "/dev/kvm answers ioctls but guests hang under KVM: the probe guest printed nothing after "
            + quote(kvm.lastConsoleLine()) + " for " + seconds(timeout)
            + " (typical of a host that is itself a VM with paravirtual nesting); the same image"
            + " reached " + in.bootProbeReadyLine() + " under TCG in " + seconds(tcg.elapsed())
            + ". Guests use TCG (software emulation: several times slower boot and guest CPU)";
    return new Outcome(
        KvmVerdict.ANSWERS_BUT_GUESTS_HANG,
        Optional.of(resultFor(KvmVerdict.ANSWERS_BUT_GUESTS_HANG, found)));
  }

  /** The probe command line; public knowledge in docs/operations.md so operators can rerun it. */
  static List<String> command(Path qemu, String accel, Path kernel, Optional<Path> initrd, HostRoot host) {
    List<String> argv = new ArrayList<>(List.of(
        qemu.toString(), "-M", "microvm,rtc=on,pit=on", "-accel", accel, "-m", "128",
        "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio", "-kernel", kernel.toString()));
    initrd.filter(Files::isRegularFile).ifPresent(i -> argv.addAll(List.of("-initrd", i.toString())));
    StringBuilder append = new StringBuilder("console=ttyS0 panic=-1");
    // Without tsc_early_khz about one boot in four hangs calibrating the TSC against the PIT,
    // which would read as "KVM hangs" (measured on the development host).
    tscKhz(host).ifPresent(khz -> append.append(" tsc_early_khz=").append(khz));
    argv.addAll(List.of("-append", append.toString()));
    return argv;
  }

  static Optional<Long> tscKhz(HostRoot host) {
    return host.read("/proc/cpuinfo")
        .flatMap(t -> t.lines().filter(l -> l.startsWith("cpu MHz")).findFirst())
        .map(l -> l.substring(l.indexOf(':') + 1).trim())
        .flatMap(
            mhz -> {
              try {
                return Optional.of(Math.round(Double.parseDouble(mhz) * 1000));
              } catch (NumberFormatException e) {
                return Optional.empty();
              }
            });
  }

  private static CheckResult resultFor(KvmVerdict verdict, String found) {
    if (verdict == KvmVerdict.USABLE) {
      return CheckResult.ok("kvm.boot", found);
    }
    return CheckResult.warn(
        "kvm.boot",
        found,
        "nothing to do for sandboxes to work (TCG is automatic). For KVM speed run on bare metal"
            + " or on a host with full nested virtualization (kvm_intel nested=1 / kvm_amd"
            + " nested=1 on the outer host), then `stockade-supervisor preflight --probe-boot`");
  }

  private static Outcome notProbed(String found, String remedy) {
    return new Outcome(
        KvmVerdict.ANSWERS_NOT_PROBED, Optional.of(CheckResult.warn("kvm.boot", found, remedy)));
  }

  private static CheckResult withNote(CheckResult r, String note) {
    return new CheckResult(r.name(), r.status(), r.found() + note, r.remedy(), r.fatal());
  }

  private static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }

  private static String quote(String s) {
    return "\"" + s + "\"";
  }
}
