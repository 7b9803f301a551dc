package io.stockade.supervisor.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * I/O bandwidth limits on the real kernel: the limit is in the sandbox's blkio (or io.max) file,
 * a direct-I/O writer on a disk-backed bind mount is held to about the limit, and a host that
 * cannot enforce a requested limit refuses the launch and keeps nothing of it.
 */
class IoLimitTest {
  private static final long WRITE_BPS = 8L << 20;
  private static final int WRITE_MIB = 24; // 3 s at the limit

  JailTestSupport jails;
  Path data; // on a real disk (/var/tmp), not the jail's tmpfs /tmp, which no throttle sees
  final List<String> ids = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    jails = JailTestSupport.create("io", 910_600);
    data = Files.createTempDirectory(Path.of("/var/tmp"), "stk-io-data-");
    // The workload runs as its sandbox uid: let it write here.
    Files.setPosixFilePermissions(data, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      for (String id : ids) {
        jails.launcher.cleanup(id);
      }
      if (jails != null) {
        jails.close();
      }
    } finally {
      if (data != null) {
        try (Stream<Path> s = Files.walk(data)) {
          s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  private String newId(String what) {
    String id = "stk-io-" + what + "-" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 30), 36);
    ids.add(id);
    return id;
  }

  private JailSpec writer(String id, JailSpec.Limits limits) {
    List<JailSpec.Mount> mounts = new ArrayList<>(SystemMounts.readOnly());
    mounts.add(new JailSpec.Mount(data, "/data", true));
    String script = "dd if=/dev/zero of=/data/x bs=1M count=" + WRITE_MIB + " oflag=direct 2>&1";
    return new JailSpec(id, Path.of("/bin/sh"), List.of("sh", "-c", script), Map.of("PATH", "/usr/bin:/bin"),
        mounts, List.of("null", "zero", "urandom"), Optional.empty(), limits, "process", false, "/");
  }

  private static String disk(Path p) throws Exception {
    Set<String> devs = BlockDevices.holding(List.of(p), Path.of("/sys/dev/block"));
    assumeTrue(devs.size() == 1, p + " is not on a block device (" + devs + "): nothing to throttle");
    return devs.iterator().next();
  }

  @Test
  void writeLimitIsInTheCgroupAndHoldsADirectWriterToIt() throws Exception {
    CgroupLayout layout = CgroupLayout.discover(Path.of("/"));
    assumeTrue(layout.onV2("blkio") || layout.v1("blkio").isPresent(), "no io controller (v2) or blkio hierarchy (v1)");
    String dev = disk(data);
    String id = newId("w");
    long t0 = System.nanoTime();
    JailedProcess p = jails.launcher.launch(writer(id, JailTestSupport.limits().withIo(0, WRITE_BPS)));
    SandboxCgroup cg = SandboxCgroup.of(layout, id);
    if (layout.onV2("blkio")) {
      assertThat(Files.readString(cg.v2().orElseThrow().resolve("io.max"))).contains(dev + " rbps=max wbps=" + WRITE_BPS);
    } else {
      Path blkio = layout.v1("blkio").orElseThrow().resolve(id);
      assertThat(Files.readString(blkio.resolve("blkio.throttle.write_bps_device"))).contains(dev + " " + WRITE_BPS);
      assertThat(Files.readString(blkio.resolve("blkio.throttle.read_bps_device"))).doesNotContain(dev);
    }
    assertThat(JailTestSupport.await(p)).as(JailTestSupport.console(p)).isZero();
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("stk-io: %d MiB direct write at a %d MiB/s limit took %.2f s (dd: %s)%n", WRITE_MIB,
        WRITE_BPS >> 20, seconds, JailTestSupport.console(p).strip().replace('\n', ' '));
    assertThat(Files.size(data.resolve("x"))).isEqualTo((long) WRITE_MIB << 20);
    // 3 s at the limit; 2 s leaves room for the throttle's first-slice allowance.
    assertThat(seconds).as("throttled write time").isGreaterThan(2.0);
  }

  @Test
  void unlimitedLaunchStillJoinsBlkioAndWritesNoThrottle() throws Exception {
    CgroupLayout layout = CgroupLayout.discover(Path.of("/"));
    assumeTrue(layout.v1("blkio").isPresent(), "no v1 blkio hierarchy on this host");
    // Pooled (the stage joined blkio ahead, under its pool name) and cold (it joins on its own).
    try (LinuxJailLauncher cold = LinuxJailLauncher.create(jails.config, 0)) {
      for (LinuxJailLauncher launcher : List.of(jails.launcher, cold)) {
        String id = newId("u");
        JailedProcess p = launcher.launch(jails.shell(id, "cat /proc/self/cgroup"));
        assertThat(JailTestSupport.await(p)).isZero();
        assertThat(JailTestSupport.console(p)).containsPattern("blkio:.*/" + id);
        Path blkio = layout.v1("blkio").orElseThrow().resolve(id);
        assertThat(Files.readString(blkio.resolve("blkio.throttle.write_bps_device"))).isBlank();
        launcher.cleanup(id);
        assertThat(blkio).doesNotExist();
      }
    }
  }

  @Test
  void hostWithoutAnIoControllerRefusesTheLaunchAndKeepsNothing() throws Exception {
    CgroupLayout real = CgroupLayout.discover(Path.of("/"));
    assumeTrue(!real.onV2("blkio"), "this host has io on cgroup v2: it cannot be made to lack it");
    Map<String, Path> v1 = new HashMap<>();
    for (String c : List.of("memory", "pids", "cpu")) {
      real.v1(c).ifPresent(d -> v1.put(c, d));
    }
    CgroupLayout noIo = new CgroupLayout(real.v2(), real.v2Controllers(), v1);
    try (LinuxJailLauncher launcher = LinuxJailLauncher.create(jails.config, 0, noIo)) {
      String id = newId("r");
      assertThatThrownBy(() -> launcher.launch(writer(id, JailTestSupport.limits().withIo(1 << 20, 0))))
          .isInstanceOfSatisfying(JailException.class, e -> {
            assertThat(e.step()).isEqualTo("cgroup_io");
            assertThat(e.getMessage()).contains("io controller").contains("without I/O limits");
          });
      assertThat(jails.config.jailsDir().resolve(id)).doesNotExist();
      try (Stream<Path> cg = Files.find(Path.of("/sys/fs/cgroup"), 6, (q, a) -> q.getFileName().toString().equals(id))) {
        assertThat(cg).isEmpty();
      }
      if (Files.isDirectory(jails.config.leaseDir())) {
        try (Stream<Path> leases = Files.list(jails.config.leaseDir())) {
          assertThat(leases.filter(q -> !q.getFileName().toString().startsWith("."))).isEmpty();
        }
      }
      assertThat(data.resolve("x")).doesNotExist();
    }
  }

  @Test
  void partitionsMapToTheirDiskAndPseudoFilesystemsToNothing() throws Exception {
    assertThat(BlockDevices.holding(List.of(Path.of("/proc"), Path.of("/sys")), Path.of("/sys/dev/block"))).isEmpty();
    long dev = (259L << 8) | (300 & 0xff) | ((300L & ~0xffL) << 12); // glibc makedev(259, 300)
    assertThat(BlockDevices.major(dev)).isEqualTo(259);
    assertThat(BlockDevices.minor(dev)).isEqualTo(300);
    // A fake /sys: dev/block/MAJ:MIN links into devices/, a partition sits in its disk's directory.
    Path sys = Files.createTempDirectory("stk-io-sys-");
    try {
      Path disk = Files.createDirectories(sys.resolve("devices/vda"));
      Files.writeString(disk.resolve("dev"), "254:0\n");
      Path part = Files.createDirectories(disk.resolve("vda1"));
      Files.writeString(part.resolve("dev"), "254:1\n");
      Files.writeString(part.resolve("partition"), "1\n");
      Path block = Files.createDirectories(sys.resolve("dev/block"));
      Files.createSymbolicLink(block.resolve("254:1"), Path.of("../../devices/vda/vda1"));
      Files.createSymbolicLink(block.resolve("254:0"), Path.of("../../devices/vda"));
      assertThat(BlockDevices.wholeDisk("254:1", block)).contains("254:0");
      assertThat(BlockDevices.wholeDisk("254:0", block)).contains("254:0");
      assertThat(BlockDevices.wholeDisk("0:42", block)).isEmpty();
    } finally {
      try (Stream<Path> s = Files.walk(sys)) {
        s.sorted(Comparator.reverseOrder()).forEach(q -> q.toFile().delete());
      }
    }
  }
}
