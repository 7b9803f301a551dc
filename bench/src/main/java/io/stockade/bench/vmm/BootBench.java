package io.stockade.bench.vmm;

import io.stockade.images.DiskFormat;
import io.stockade.images.DownloadProgress;
import io.stockade.images.ImageException;
import io.stockade.images.ImageResolver;
import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.jail.JailConfig;
import io.stockade.supervisor.jail.LinuxJailLauncher;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.qemu.QemuDriver;
import io.stockade.supervisor.vmm.qemu.QemuOptions;
import io.stockade.supervisor.vmm.support.ConsoleLog;
import io.stockade.supervisor.vmm.support.HostTsc;
import io.stockade.supervisor.vmm.support.SandboxFiles;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Boot time to the guest's readiness line: through {@link QemuDriver} (jail, writable disk, QMP,
 * console log) next to the same QEMU command line run bare, same kernel and image, runs
 * interleaved so both see the same machine load. Prints p50, min and max of each and the
 * driver's overhead.
 *
 * <pre>scripts/bench io.stockade.bench.vmm.BootBench [IMAGE_DIR] [N]</pre>
 */
public final class BootBench {
  private static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
  private static final String READY = "STOCKADE-READY";

  private BootBench() {}

  public static void main(String[] args) throws Exception {
    Path imageDir = Path.of(args.length > 0 ? args[0] : "out/images/default").toAbsolutePath();
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    ResolvedImage image = new ResolvedImage("default", "bench", imageDir.resolve("vmlinuz"),
        Optional.of(imageDir.resolve("initramfs.cpio.gz")), Optional.of(imageDir.resolve("rootfs.ext4")),
        "console=ttyS0 panic=-1 quiet", Set.of("qemu"), READY);
    long tsc = HostTsc.khz().orElse(0);
    Path work = Files.createTempDirectory("stk-vm-bench-");
    try {
      JailConfig jailConfig = JailConfig.defaults(work.resolve("state")).withCgroupPrefix("stk-vm-bench-");
      TimedJail jail = new TimedJail(LinuxJailLauncher.create(jailConfig));
      QemuDriver driver = QemuDriver.create(jail, new OverlayDisks(), QEMU, QemuOptions.of("tcg", tsc));
      String cmdline = image.kernelCommandLine() + (tsc > 0 ? " tsc_early_khz=" + tsc : "");
      // One unmeasured boot of each warms the page cache and the JIT.
      bare(image, cmdline, work.resolve("warm"), new ArrayList<>());
      viaDriver(driver, jail, image, work, new ArrayList<>(), new ArrayList<>());
      List<Double> bare = new ArrayList<>();
      List<Double> bareCpu = new ArrayList<>();
      List<Double> driven = new ArrayList<>();
      List<Double> drivenCpu = new ArrayList<>();
      List<Double> preExec = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        bare.add(bare(image, cmdline, work.resolve("bare-" + i), bareCpu));
        driven.add(viaDriver(driver, jail, image, work, drivenCpu, preExec));
      }
      double b = p50(bare);
      double d = p50(driven);
      System.out.printf("qemu microvm, TCG, 256 MiB, 1 vCPU, N=%d each (interleaved); load average %s%n", n,
          Files.readString(Path.of("/proc/loadavg")).strip());
      System.out.printf("wall to readiness  bare p50 %7.1f ms (min %7.1f, max %7.1f)%n", b, Collections.min(bare), Collections.max(bare));
      System.out.printf("                   driver p50 %7.1f ms (min %7.1f, max %7.1f)%n", d, Collections.min(driven), Collections.max(driven));
      System.out.printf("                   difference of p50s %+7.1f ms (%+.1f %%)%n", d - b, 100 * (d - b) / b);
      double bc = p50(bareCpu);
      double dc = p50(drivenCpu);
      System.out.printf("CPU to readiness   bare p50 %7.1f ms, jailed p50 %7.1f ms (whole sandbox cgroup): %+.1f %%%n",
          bc, dc, 100 * (dc - bc) / bc);
      double pe = p50(preExec);
      System.out.printf("driver before QEMU runs (disk, jail, exec stage) p50 %.1f ms = %.2f %% of the bare boot;"
          + " readiness polling adds <= 5 ms%n", pe, 100 * pe / b);
    } finally {
      SandboxFiles.deleteRecursively(work);
    }
  }

  /** The driver's QEMU command line with host paths, no jail, no supervisor. */
  private static double bare(ResolvedImage image, String cmdline, Path dir, List<Double> cpu) throws Exception {
    Files.createDirectories(dir);
    Path log = dir.resolve("console.log");
    Path disk = dir.resolve("disk.qcow2");
    OverlayDisks.create(image.rootfs().orElseThrow(), disk);
    List<String> argv = List.of(QEMU.toString(), "-M", "microvm,rtc=on,pit=on", "-accel", "tcg,tb-size=64",
        "-m", "256", "-smp", "1", "-nographic", "-no-reboot", "-nodefaults", "-no-user-config",
        "-kernel", image.kernel().toString(), "-initrd", image.initrd().orElseThrow().toString(), "-append", cmdline,
        "-qmp", "unix:" + dir.resolve("qmp.sock") + ",server=on,wait=off",
        "-chardev", "socket,id=con,path=" + dir.resolve("console.sock") + ",server=on,wait=off,logfile=" + log
            + ",logappend=on",
        "-serial", "chardev:con",
        "-drive", "if=none,id=d0,driver=qcow2,file.filename=" + disk + ",backing.driver=raw,backing.file.filename="
            + image.rootfs().orElseThrow(),
        "-device", "virtio-blk-device,drive=d0");
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(argv).redirectInput(new File("/dev/null"))
        .redirectOutput(dir.resolve("qemu.out").toFile()).redirectErrorStream(true).start();
    try {
      ConsoleLog.Outcome o = ConsoleLog.of(log).awaitLine(READY, Duration.ofSeconds(120), p.onExit());
      double ms = (System.nanoTime() - t0) / 1e6;
      cpu.add(cpuMillis(p.pid()));
      if (o != ConsoleLog.Outcome.SEEN) {
        throw new IllegalStateException("bare boot: " + o + "\n" + ConsoleLog.tail(log, 20));
      }
      return ms;
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      SandboxFiles.deleteRecursively(dir);
    }
  }

  private static double viaDriver(QemuDriver driver, TimedJail jail, ResolvedImage image, Path work, List<Double> cpu,
      List<Double> preExec) throws Exception {
    String id = "stk-vm-bench-" + UUID.randomUUID().toString().substring(0, 6);
    LaunchSpec spec = new LaunchSpec(id, 1, 256, Optional.of(image), List.of(), Optional.empty(),
        work.resolve("sandboxes").resolve(id), Duration.ofSeconds(120), Optional.empty());
    long t0 = System.nanoTime();
    VmInstance vm = driver.launch(spec);
    double ms = (System.nanoTime() - t0) / 1e6;
    preExec.add((jail.lastLaunched - t0) / 1e6);
    long micros = vm.process().usage().cpuMicros();
    if (micros >= 0) {
      cpu.add(micros / 1000.0);
    }
    vm.process().killAll();
    vm.onExit().get(10, TimeUnit.SECONDS);
    driver.cleanup(id);
    SandboxFiles.deleteRecursively(spec.sandboxDir());
    return ms;
  }

  /** utime + stime of a process, from /proc/PID/stat (fields 14 and 15, in clock ticks of 10 ms). */
  private static double cpuMillis(long pid) throws Exception {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10.0;
  }

  /** Records when the jail reported the VMM exec'd. */
  static final class TimedJail implements io.stockade.supervisor.jail.JailLauncher {
    private final io.stockade.supervisor.jail.JailLauncher jail;
    volatile long lastLaunched;

    TimedJail(io.stockade.supervisor.jail.JailLauncher jail) {
      this.jail = jail;
    }

    @Override
    public int reserveUid(String sandboxId) throws io.stockade.supervisor.jail.JailException {
      return jail.reserveUid(sandboxId);
    }

    @Override
    public io.stockade.supervisor.jail.JailedProcess launch(io.stockade.supervisor.jail.JailSpec spec)
        throws io.stockade.supervisor.jail.JailException {
      io.stockade.supervisor.jail.JailedProcess p = jail.launch(spec);
      lastLaunched = System.nanoTime();
      return p;
    }

    @Override
    public Optional<io.stockade.supervisor.jail.JailedProcess> reattach(String sandboxId, long pid, long startTime) {
      return jail.reattach(sandboxId, pid, startTime);
    }

    @Override
    public void cleanup(String sandboxId) {
      jail.cleanup(sandboxId);
    }
  }

  private static double p50(List<Double> xs) {
    if (xs.isEmpty()) {
      return Double.NaN;
    }
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    int m = s.size() / 2;
    return s.size() % 2 == 1 ? s.get(m) : (s.get(m - 1) + s.get(m)) / 2;
  }

  /** qcow2 overlays with qemu-img, as the image store makes them (the bench needs no catalog). */
  static final class OverlayDisks implements ImageResolver {
    static void create(Path rootfs, Path disk) throws Exception {
      Process p = new ProcessBuilder("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", rootfs.toString(),
          disk.toString()).redirectErrorStream(true).start();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("qemu-img create failed: " + new String(p.getInputStream().readAllBytes()));
      }
    }

    @Override
    public ResolvedImage resolve(String reference, DownloadProgress progress) throws ImageException {
      throw new ImageException("the boot bench resolves no catalog references");
    }

    @Override
    public Path createWritableDisk(ResolvedImage image, String sandboxId, Path directory, DiskFormat format)
        throws ImageException {
      try {
        Path disk = directory.resolve("disk.qcow2");
        create(image.rootfs().orElseThrow(), disk);
        return disk;
      } catch (Exception e) {
        throw new ImageException("overlay for " + sandboxId + ": " + e.getMessage(), e);
      }
    }

    @Override
    public void release(String sandboxId) {}
  }
}
