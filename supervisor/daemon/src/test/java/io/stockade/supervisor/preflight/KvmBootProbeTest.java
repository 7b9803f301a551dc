package io.stockade.supervisor.preflight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.supervisor.preflight.CheckResult.Status;
import io.stockade.supervisor.preflight.PreflightReport.KvmVerdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The boot probe with real QEMU and the default image (scripts/build-image writes it to
 * out/images/default); tests that need the image skip without it.
 */
class KvmBootProbeTest {
  static final Path QEMU = Path.of(KvmBootProbe.DEFAULT_QEMU);
  static final Path IMAGE = Path.of(System.getProperty("stockade.imageDir", "out/images/default"));

  @TempDir Path tmp;

  private PreflightInputs inputs(Optional<Path> kernel, Optional<Path> initrd, boolean rerun, Duration timeout) {
    return new PreflightInputs(
        tmp, tmp, tmp, Map.of("qemu", QEMU), Set.of("qemu"), kernel, initrd, "STOCKADE-READY",
        tmp.resolve("cache/kvm-probe.json"), rerun, timeout, Optional.empty());
  }

  private String qemuVersion() {
    return Commands.run(Commands.DEFAULT_TIMEOUT, List.of(QEMU.toString(), "--version")).firstLine();
  }

  @Test
  void cacheKeepsOneVerdictPerKernelAndQemuAndTreatsCorruptionAsAMiss() throws Exception {
    BootProbeCache cache = new BootProbeCache(tmp.resolve("c/probe.json"));
    String a = BootProbeCache.key("6.1.0-1", "QEMU 7.2");
    String b = BootProbeCache.key("6.1.0-2", "QEMU 7.2");
    assertThat(cache.lookup(a)).isEmpty();
    cache.store(a, new BootProbeCache.Entry(KvmVerdict.USABLE, "booted", "t1"));
    cache.store(b, new BootProbeCache.Entry(KvmVerdict.ANSWERS_BUT_GUESTS_HANG, "hung", "t2"));
    assertThat(cache.lookup(a)).contains(new BootProbeCache.Entry(KvmVerdict.USABLE, "booted", "t1"));
    assertThat(cache.lookup(b).orElseThrow().verdict()).isEqualTo(KvmVerdict.ANSWERS_BUT_GUESTS_HANG);
    assertThat(cache.lookup(BootProbeCache.key("6.1.0-1", "QEMU 8.0"))).isEmpty();
    Files.writeString(tmp.resolve("c/probe.json"), "{not json");
    assertThat(cache.lookup(a)).isEmpty();
  }

  @Test
  void noProbeKernelIsNotProbedWithTheBuildRemedy() {
    KvmBootProbe.Outcome o =
        KvmBootProbe.run(inputs(Optional.of(tmp.resolve("absent-vmlinuz")), Optional.empty(), false, Duration.ofSeconds(5)), HostRoot.real(), true);
    assertThat(o.verdict()).isEqualTo(KvmVerdict.ANSWERS_NOT_PROBED);
    assertThat(o.result().orElseThrow().found()).contains("absent-vmlinuz missing");
    assertThat(o.result().orElseThrow().remedy()).contains("scripts/build-image").contains("--probe-boot");
  }

  @Test
  void unusableKvmDeviceSkipsTheProbe() {
    KvmBootProbe.Outcome o =
        KvmBootProbe.run(inputs(Optional.of(tmp.resolve("k")), Optional.empty(), false, Duration.ofSeconds(5)), HostRoot.real(), false);
    assertThat(o.verdict()).isEqualTo(KvmVerdict.UNAVAILABLE);
    assertThat(o.result()).isEmpty();
  }

  @Test
  void qemuRejectingTheKernelIsInconclusiveAndNotCached() throws Exception {
    assumeTrue(Files.isExecutable(QEMU), "qemu-system-x86_64 missing");
    assumeTrue(Files.exists(Path.of("/dev/kvm")), "no /dev/kvm");
    Path garbage = Files.writeString(tmp.resolve("stk-op-garbage-vmlinuz"), "not a kernel");
    KvmBootProbe.Outcome o =
        KvmBootProbe.run(inputs(Optional.of(garbage), Optional.empty(), false, Duration.ofSeconds(20)), HostRoot.real(), true);
    assertThat(o.verdict()).isEqualTo(KvmVerdict.ANSWERS_NOT_PROBED);
    assertThat(o.result().orElseThrow().found()).startsWith("boot probe inconclusive: QEMU exited (status 1)");
    assertThat(Files.exists(tmp.resolve("cache/kvm-probe.json"))).isFalse();
  }

  @Test
  void timeoutKillsTheGuestForCertain() {
    assumeTrue(Files.isExecutable(QEMU), "qemu-system-x86_64 missing");
    Path kernel = IMAGE.resolve("vmlinuz");
    assumeTrue(Files.isRegularFile(kernel), "no default image at " + IMAGE + " (scripts/build-image)");
    List<String> argv = KvmBootProbe.command(QEMU, "tcg", kernel, Optional.empty(), HostRoot.real());
    GuestBoot.Result r = GuestBoot.boot(argv, "STOCKADE-READY", Duration.ofMillis(300));
    assertThat(r.timedOut()).isTrue();
    assertThat(r.ready()).isFalse();
    assertThat(qemuProcessesFor(kernel)).isEmpty();
  }

  @Test
  void probeOnThisHostThenCachedThenRerun() throws Exception {
    assumeTrue(Files.isExecutable(QEMU), "qemu-system-x86_64 missing");
    assumeTrue(Files.exists(Path.of("/dev/kvm")) && Libc.geteuid() == 0, "needs root and /dev/kvm");
    assumeTrue(Boolean.parseBoolean(System.getProperty("stockade.slowTests", "true")), "slow tests off");
    Path imageKernel = IMAGE.resolve("vmlinuz");
    assumeTrue(Files.isRegularFile(imageKernel), "no default image at " + IMAGE + " (scripts/build-image)");
    // A copy under a unique name, so the leftover-process check below can only see our guests.
    Path kernel = Files.copy(imageKernel, tmp.resolve("stk-op-probe-vmlinuz"));
    Optional<Path> initrd = Optional.of(IMAGE.resolve("initramfs.cpio.gz")).filter(Files::isRegularFile);
    HostRoot host = HostRoot.real();
    String key = BootProbeCache.key(host.read("/proc/sys/kernel/osrelease").orElseThrow(), qemuVersion());
    new BootProbeCache(tmp.resolve("cache/kvm-probe.json"))
        .store(key, new BootProbeCache.Entry(KvmVerdict.USABLE, "seeded verdict", "2026-01-01T00:00:00Z"));

    KvmBootProbe.Outcome cached = KvmBootProbe.run(inputs(Optional.of(kernel), initrd, false, Duration.ofSeconds(8)), host, true);
    assertThat(cached.verdict()).isEqualTo(KvmVerdict.USABLE);
    assertThat(cached.result().orElseThrow().found()).startsWith("seeded verdict (cached 2026-01-01T00:00:00Z");

    long start = System.nanoTime();
    KvmBootProbe.Outcome probed = KvmBootProbe.run(inputs(Optional.of(kernel), initrd, true, Duration.ofSeconds(8)), host, true);
    System.out.printf("probe took %d ms: %s%n", (System.nanoTime() - start) / 1_000_000, probed);
    CheckResult r = probed.result().orElseThrow();
    assertThat(r.found()).doesNotContain("seeded");
    assertThat(probed.verdict()).isIn(KvmVerdict.USABLE, KvmVerdict.ANSWERS_BUT_GUESTS_HANG);
    if (probed.verdict() == KvmVerdict.USABLE) {
      assertThat(r.status()).isEqualTo(Status.OK);
      assertThat(r.found()).startsWith("KVM usable for guests");
    } else {
      assertThat(r.status()).isEqualTo(Status.WARN);
      assertThat(r.found())
          .contains("guests hang under KVM: the probe guest printed nothing after \"")
          .contains("under TCG in ")
          .contains("several times slower");
    }
    assertThat(qemuProcessesFor(kernel)).isEmpty();

    KvmBootProbe.Outcome again = KvmBootProbe.run(inputs(Optional.of(kernel), initrd, false, Duration.ofSeconds(8)), host, true);
    assertThat(again.verdict()).isEqualTo(probed.verdict());
    assertThat(again.result().orElseThrow().found()).startsWith(r.found() + " (cached ");
  }

  private static List<ProcessHandle> qemuProcessesFor(Path kernel) {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().arguments().map(a -> List.of(a).contains(kernel.toString())).orElse(false))
        .toList();
  }
}
