package io.stockade.supervisor.vmm.process;

import io.stockade.supervisor.net.SandboxNetwork;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.policy.CpuList;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.support.SandboxFiles;
import io.stockade.supervisor.vmm.testing.RealJail;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProcessDriverTest {
  private Path work;
  private RealJail jail;
  private ProcessDriver driver;
  private String id;

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root for mount namespaces");
    work = Files.createTempDirectory("stk-vm-process-");
    jail = RealJail.create("process", 920_128);
    driver = ProcessDriver.create(jail.launcher);
    id = "stk-vm-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @AfterEach
  void tearDown() {
    if (driver != null) {
      driver.cleanup(id);
      jail.close();
      SandboxFiles.deleteRecursively(work);
    }
  }

  private LaunchSpec spec(List<String> command) {
    return new LaunchSpec(id, 1, 64, Optional.empty(), command, Optional.empty(), work.resolve("sb"),
        Duration.ofSeconds(5), Optional.empty());
  }

  private static String consoleOf(VmInstance vm) {
    return io.stockade.supervisor.vmm.support.ConsoleLog.tail(vm.consoleLog(), 20);
  }

  @Test
  void runsTheCommandWithASystemShellAndStopsItWithSigterm() throws Exception {
    // The program is PID 1 of the jail's pid namespace: SIGTERM reaches it only through a handler.
    VmInstance vm = driver.launch(spec(List.of("sh", "-c",
        "trap 'exit 143' TERM; echo started-$((2+3)); while :; do sleep 0.1; done")));

    await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(vm.consoleLog()).contains("started-5"));
    assertThat(vm.persistentState()).containsKeys("pid", "startTime");
    assertThat(driver.reattach(id, vm.persistentState())).isPresent();

    vm.requestShutdown();
    assertThat(vm.onExit().get(10, TimeUnit.SECONDS)).isEqualTo(128 + 15);
    assertThat(vm.guestRequestedShutdown()).isFalse();
    assertThat(driver.reattach(id, vm.persistentState())).isEmpty();
  }

  @Test
  void aProgramThatExitsOnItsOwnCountsAsAGuestShutdown() throws Exception {
    VmInstance vm = driver.launch(spec(List.of("/bin/true")));
    assertThat(vm.onExit().get(10, TimeUnit.SECONDS)).as(() -> consoleOf(vm)).isEqualTo(0);
    assertThat(vm.guestRequestedShutdown()).isTrue();
  }

  @Test
  void unknownProgramsAndVmOperationsAreRefusedClearly() throws Exception {
    assertThatThrownBy(() -> driver.launch(spec(List.of("no-such-program-stk"))))
        .isInstanceOf(VmmException.class)
        .hasMessageContaining("'no-such-program-stk' not found");
    VmInstance vm = driver.launch(spec(List.of("sleep", "30")));
    assertThatThrownBy(vm::pause).isInstanceOfSatisfying(VmmException.class, e -> assertThat(e.unsupported()).isTrue());
    assertThatThrownBy(() -> vm.snapshot(work))
        .isInstanceOfSatisfying(VmmException.class, e -> assertThat(e.unsupported()).isTrue());
    assertThatThrownBy(() -> vm.writeConsole(new byte[] {1}))
        .isInstanceOfSatisfying(VmmException.class, e -> assertThat(e.unsupported()).isTrue());
    vm.process().killAll();
    assertThat(vm.onExit().get(10, TimeUnit.SECONDS)).isEqualTo(128 + 9);
  }

  /** The file {@code name} in the v1 hierarchy {@code controller}'s cgroup of {@code pid} (or its v2 cgroup). */
  private static Path cgroupFile(long pid, String controller, String name) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
      String[] f = line.split(":", 3);
      if (List.of(f[1].split(",")).contains(controller)) {
        return Path.of("/sys/fs/cgroup/" + controller + f[2]).resolve(name);
      }
    }
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
      if (line.startsWith("0::")) {
        return Path.of("/sys/fs/cgroup" + line.substring(3)).resolve(name);
      }
    }
    throw new AssertionError("no cgroup of " + pid + " holds " + controller);
  }

  /**
   * The sandbox's pids limit as the kernel holds it. On a v1 pids hierarchy the jail's exec stage
   * shares the cgroup with the workload and the jail writes limit + 1 (see SandboxCgroup).
   */
  private static long pidsMax(VmInstance vm) throws Exception {
    Path file = cgroupFile(vm.process().pid(), "pids", "pids.max");
    long max = Long.parseLong(Files.readString(file).strip());
    return file.startsWith("/sys/fs/cgroup/pids") ? max - 1 : max;
  }

  @Test
  void theRequestedPidsLimitIsTheSandboxCgroupsPidsMax() throws Exception {
    VmInstance vm = driver.launch(new LaunchSpec(id, 1, 64, Optional.empty(), List.of("sleep", "30"),
        Optional.empty(), work.resolve("sb"), Duration.ofSeconds(5), Optional.empty(), List.of(), 37, 0, 0));
    assertThat(pidsMax(vm)).isEqualTo(37);
    vm.process().killAll();
    vm.onExit().get(10, TimeUnit.SECONDS);
  }

  @Test
  void withoutARequestedPidsLimitTheProcessKindKeepsItsDefault() throws Exception {
    VmInstance vm = driver.launch(spec(List.of("sleep", "30")));
    assertThat(pidsMax(vm)).isEqualTo(256);
    vm.process().killAll();
    vm.onExit().get(10, TimeUnit.SECONDS);
  }

  @Test
  void theRequestedIoLimitIsInTheSandboxsBlkioCgroup() throws Exception {
    long writeBps = 3L << 20;
    long readBps = 5L << 20;
    VmInstance vm;
    try {
      vm = driver.launch(new LaunchSpec(id, 1, 64, Optional.empty(), List.of("sleep", "30"),
          Optional.empty(), work.resolve("sb"), Duration.ofSeconds(5), Optional.empty(), List.of(), 0,
          readBps, writeBps));
    } catch (VmmException e) {
      assumeTrue(!e.getMessage().contains("blkio") && !e.getMessage().contains("io controller"),
          "this host cannot enforce I/O limits: " + e.getMessage());
      throw e;
    }
    long pid = vm.process().pid();
    if (Files.exists(cgroupFile(pid, "blkio", "blkio.throttle.write_bps_device"))) {
      assertThat(Files.readString(cgroupFile(pid, "blkio", "blkio.throttle.write_bps_device")))
          .containsPattern("\\d+:\\d+ " + writeBps);
      assertThat(Files.readString(cgroupFile(pid, "blkio", "blkio.throttle.read_bps_device")))
          .containsPattern("\\d+:\\d+ " + readBps);
    } else {
      assertThat(Files.readString(cgroupFile(pid, "io", "io.max"))).contains("rbps=" + readBps + " wbps=" + writeBps);
    }
    vm.process().killAll();
    vm.onExit().get(10, TimeUnit.SECONDS);
  }

  /** The CPUs {@code pid} may run on, as the kernel holds them. */
  private static CpuList cpusAllowed(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("Cpus_allowed_list:")) {
        return CpuList.parse(line.substring("Cpus_allowed_list:".length()));
      }
    }
    throw new AssertionError("no Cpus_allowed_list in /proc/" + pid + "/status");
  }

  @Test
  void theRequestedCpusPinTheSandbox() throws Exception {
    CpuList mine = cpusAllowed(ProcessHandle.current().pid());
    assumeTrue(mine.size() >= 2, "pinning needs 2 CPUs to be told from not pinning; this JVM has " + mine);
    CpuList pin = CpuList.parse(mine.toString().replaceAll(".*[,-]", "")); // the last of this JVM's CPUs
    VmInstance vm;
    try {
      vm = driver.launch(new LaunchSpec(id, 1, 64, Optional.empty(), List.of("sleep", "30"), Optional.empty(),
          work.resolve("sb"), Duration.ofSeconds(5), Optional.empty(), List.of(), 0, 0, 0, pin));
    } catch (VmmException e) {
      assumeTrue(!e.getMessage().contains("no cpuset controller"), "this host cannot pin CPUs: " + e.getMessage());
      throw e;
    }
    long pid = vm.process().pid();
    assertThat(cpusAllowed(pid)).isEqualTo(pin);
    // The jail's exec stage (pid) forks the program: its only child, in the sandbox's cgroups.
    long workload = Long.parseLong(Files.readString(Path.of("/proc/" + pid + "/task/" + pid + "/children")).strip());
    assertThat(cpusAllowed(workload)).as("the program itself").isEqualTo(pin);
    assertThat(CpuList.parse(Files.readString(cgroupFile(workload, "cpuset", "cpuset.cpus")))).isEqualTo(pin);
    vm.process().killAll();
    vm.onExit().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aNetworkedProcessSeesItsResolverAndNothingElseOfTheHostsEtc() throws Exception {
    String ns = "stk-vm-pn" + id.substring(id.length() - 6);
    assertThat(new ProcessBuilder("ip", "netns", "add", ns).inheritIO().start().waitFor()).isZero();
    try {
      SandboxNetwork net = new SandboxNetwork(id, 1, Path.of("/run/netns", ns), "eth0", "02:00:00:00:00:02",
          "10.255.0.2", 30, "10.255.0.1", List.of("198.51.100.53"));
      VmInstance vm = driver.launch(new LaunchSpec(id, 1, 64, Optional.empty(),
          List.of("/bin/sh", "-c", "cat /etc/resolv.conf /etc/hosts; echo ETC: $(ls /etc); test -s /etc/ssl/certs/ca-certificates.crt && echo CA-OK"),
          Optional.of(net), work.resolve("sb"), Duration.ofSeconds(5), Optional.empty()));
      assertThat(vm.onExit().get(10, TimeUnit.SECONDS)).as(() -> consoleOf(vm)).isEqualTo(0);
      String out = Files.readString(vm.consoleLog());
      assertThat(out).contains("nameserver 198.51.100.53").contains("127.0.0.1\tlocalhost");
      assertThat(out).containsPattern("ETC: (alternatives )?hosts (ld.so.cache )?resolv.conf ssl\\s");
      if (Files.isRegularFile(Path.of("/etc/ssl/certs/ca-certificates.crt"))) {
        assertThat(out).as("the host's public CA bundle, for TLS clients").contains("CA-OK");
      }
    } finally {
      new ProcessBuilder("ip", "netns", "del", ns).inheritIO().start().waitFor();
    }
  }
}
