package io.stockade.supervisor.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import io.stockade.policy.CpuList;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * QEMU 7.2 microvm under TCG, jailed with the qemu seccomp profile: boots the default image with
 * virtio-net (a TAP in a network namespace) and virtio-blk, reaches the guest's readiness line,
 * and answers QMP on a socket in the jail's run/. Pinned to one CPU where the host can pin: every
 * QEMU thread (the TCG vCPU thread among them) stays on it.
 */
class QemuJailTest {
  static JailTestSupport jails;
  static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");

  @BeforeAll
  static void setUp() throws Exception {
    assumeTrue(!"false".equals(System.getProperty("stockade.slowTests")), "slow tests disabled");
    assumeTrue(Files.isExecutable(QEMU), "no " + QEMU);
    jails = JailTestSupport.create("qemu", 910_400);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (jails != null) {
      jails.close();
    }
  }

  static Path imageDir() {
    String dir = System.getProperty("stockade.imageDir", "");
    Path p = Path.of(dir.isEmpty() ? "/nonexistent" : dir);
    assumeTrue(Files.isRegularFile(p.resolve("vmlinuz")) && Files.isRegularFile(p.resolve("initramfs.cpio.gz")),
        "no default image at " + p + " (build it with scripts/build-image)");
    return p;
  }

  static String tscKhz() throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
      if (l.startsWith("cpu MHz")) {
        return Long.toString(Math.round(Double.parseDouble(l.substring(l.indexOf(':') + 1).trim()) * 1000));
      }
    }
    return "0";
  }

  static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", cmd) + ": " + out);
    }
  }

  @Test
  void qemuBootsAGuestInsideTheJail() throws Exception {
    Path image = imageDir();
    String id = jails.newId("qemu");
    String netns = id;
    Path disk = jails.base.resolve("disk.img");
    if (Files.exists(image.resolve("rootfs.ext4"))) {
      Files.copy(image.resolve("rootfs.ext4"), disk);
    } else {
      Files.write(disk, new byte[1 << 20]);
    }
    int uid = jails.launcher.reserveUid(id);
    run("ip", "netns", "add", netns);
    try {
      // The TAP belongs to the sandbox's uid, so the unprivileged QEMU can attach to it.
      run("ip", "netns", "exec", netns, "ip", "tuntap", "add", "dev", "tap0", "mode", "tap", "user", Integer.toString(uid));
      run("ip", "netns", "exec", netns, "ip", "link", "set", "tap0", "up");
      List<String> argv = new ArrayList<>(List.of("qemu-system-x86_64",
          "-M", "microvm,rtc=on,pit=on", "-accel", "tcg", "-m", "256", "-nographic", "-nodefaults", "-no-reboot",
          "-serial", "stdio", "-kernel", "/image/vmlinuz", "-initrd", "/image/initramfs.cpio.gz",
          "-append", "console=ttyS0 panic=-1 tsc_early_khz=" + tscKhz(),
          "-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no", "-device", "virtio-net-device,netdev=n0",
          "-drive", "id=d0,file=/disk.img,format=raw,if=none", "-device", "virtio-blk-device,drive=d0",
          "-qmp", "unix:/run/qmp.sock,server=on,wait=off"));
      List<JailSpec.Mount> mounts = new ArrayList<>(SystemMounts.readOnly());
      mounts.add(new JailSpec.Mount(image, "/image", false));
      mounts.add(new JailSpec.Mount(disk, "/disk.img", true));
      Files.setAttribute(disk, "unix:uid", uid);
      JailSpec spec = new JailSpec(id, QEMU, argv, Map.of(), mounts, List.of("null", "urandom", "net/tun"),
          Optional.of(Path.of("/run/netns", netns)), new JailSpec.Limits(1000, 768L << 20, 64, 1024, 0).withCpus(pin()),
          "qemu", false, "/run");
      JailedProcess vm = jails.launcher.launch(spec);
      assertThat(vm.uid()).isEqualTo(uid);
      try {
        Awaitility.await().atMost(90, TimeUnit.SECONDS).pollInterval(200, TimeUnit.MILLISECONDS)
            .failFast(() -> vm.onExit().isDone())
            .until(() -> JailTestSupport.console(vm).contains("STOCKADE-READY"));
      } catch (RuntimeException e) {
        throw new AssertionError("guest not ready; exit " + vm.onExit().getNow(null) + ", console:\n"
            + JailTestSupport.console(vm), e);
      }
      if (!spec.limits().cpus().isEmpty()) {
        long qemu = ((LinuxJailedProcess) vm).workloadPid();
        try (var tasks = Files.list(Path.of("/proc/" + qemu + "/task"))) {
          List<Path> all = tasks.toList();
          assertThat(all).as("QEMU's threads").hasSizeGreaterThan(1);
          for (Path t : all) {
            assertThat(Files.readString(t.resolve("status"))).as("thread " + t)
                .containsPattern("Cpus_allowed_list:\\s+" + spec.limits().cpus() + "\n");
          }
        }
      }
      String qmp = qmp(vm.rootDir().resolve("run/qmp.sock"),
          "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-status\"}\n{\"execute\":\"quit\"}");
      assertThat(qmp).contains("\"status\": \"running\"");
      assertThat(vm.onExit().get(30, TimeUnit.SECONDS)).isZero();
    } finally {
      run("ip", "netns", "del", netns);
    }
  }

  /** The last of the supervisor's CPUs where the host has cpuset and 2 CPUs, else not pinned. */
  static CpuList pin() throws JailException {
    CpuList all = jails.launcher.pinnableCpus().orElse(CpuList.NONE);
    return all.size() < 2 ? CpuList.NONE : CpuList.parse(all.toString().replaceAll(".*[,-]", ""));
  }

  /** Sends each command after the previous one's reply; returns everything QEMU said. */
  static String qmp(Path socket, String commands) throws IOException {
    StringBuilder out = new StringBuilder();
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      ByteBuffer buf = ByteBuffer.allocate(8192);
      readUntil(ch, buf, out, "\"QMP\"");
      for (String cmd : commands.split("\n")) {
        int before = out.length();
        ch.write(ByteBuffer.wrap((cmd + "\n").getBytes(StandardCharsets.UTF_8)));
        while (out.indexOf("\"return\"", before) < 0 && out.indexOf("\"error\"", before) < 0) {
          if (!read(ch, buf, out)) {
            break;
          }
        }
      }
    }
    return out.toString();
  }

  private static void readUntil(SocketChannel ch, ByteBuffer buf, StringBuilder out, String marker) throws IOException {
    while (out.indexOf(marker) < 0 && read(ch, buf, out)) {
      // keep reading
    }
  }

  private static boolean read(SocketChannel ch, ByteBuffer buf, StringBuilder out) throws IOException {
    buf.clear();
    int n;
    try {
      n = ch.read(buf);
    } catch (IOException reset) { // QEMU exits right after "quit", sometimes before its reply
      return false;
    }
    if (n <= 0) {
      return false;
    }
    out.append(new String(buf.array(), 0, n, StandardCharsets.UTF_8));
    return true;
  }
}
