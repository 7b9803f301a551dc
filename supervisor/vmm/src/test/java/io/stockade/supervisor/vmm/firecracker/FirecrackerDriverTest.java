package io.stockade.supervisor.vmm.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.support.SandboxFiles;
import io.stockade.supervisor.vmm.testing.DirectoryImageResolverFake;
import io.stockade.supervisor.vmm.testing.FakeFirecrackerApi;
import io.stockade.supervisor.vmm.testing.FakeUnixHttpServer;
import io.stockade.supervisor.vmm.testing.FakeVmmJail;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Firecracker driver against {@link FakeFirecrackerApi} (no Firecracker binary can run
 * here): real jail-shaped process, real Unix socket, real HTTP; the API checks every request.
 */
class FirecrackerDriverTest {
  private static final String READY = "STOCKADE-READY";
  private Path work;
  private FakeVmmJail jail;
  private FirecrackerDriver driver;
  private DirectoryImageResolverFake images;
  private ResolvedImage image;
  private final List<String> ids = new ArrayList<>();
  private String version = "1.7.0";

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root for mount namespaces");
    work = Files.createTempDirectory("stk-vm-fc-");
    // A tiny image: the fake guest never reads it, Firecracker only opens the files.
    Path img = Files.createDirectories(work.resolve("image"));
    Files.writeString(img.resolve("vmlinuz"), "kernel");
    Files.writeString(img.resolve("initramfs.cpio.gz"), "initrd");
    Files.write(img.resolve("rootfs.ext4"), new byte[1 << 20]);
    images = DirectoryImageResolverFake.of(img).orElseThrow();
    ResolvedImage i = images.image();
    image = new ResolvedImage(i.name(), i.version(), i.kernel(), i.initrd(), i.rootfs(), "console=ttyS0 reboot=k",
        Set.of("firecracker"), READY);
    setVersion("1.7.0");
  }

  private void setVersion(String v) throws Exception {
    version = v;
    jail = new FakeVmmJail(work.resolve("jails"), "firecracker.sock", READY,
        (root, guest) -> new FakeFirecrackerApi(version, root, guest));
    Path bin = FakeVmmJail.writeBinary(work, "fake-firecracker", "Firecracker v" + v);
    driver = FirecrackerDriver.create(jail, images, bin, FirecrackerOptions.defaults());
  }

  @AfterEach
  void tearDown() {
    if (driver != null) {
      ids.forEach(driver::cleanup);
      SandboxFiles.deleteRecursively(work);
    }
  }

  private LaunchSpec spec(Duration timeout, Optional<Path> restore) {
    String id = "stk-vm-" + UUID.randomUUID().toString().substring(0, 8);
    ids.add(id);
    return new LaunchSpec(id, 2, 256, Optional.of(image), List.of("echo", "hi"), Optional.empty(),
        work.resolve("sb").resolve(id), timeout, restore);
  }

  private FakeFirecrackerApi api() {
    return (FakeFirecrackerApi) jail.last().api();
  }

  private List<String> calls() {
    return jail.last().server().requests().stream().map(r -> r.method() + " " + r.path()).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.7.0", "0.25.2", "1.12.0"})
  void configuresInOrderWithFieldsTheVersionKnowsThenBootsPausesAndPowersOff(String v) throws Exception {
    setVersion(v);
    VmInstance vm = driver.launch(spec(Duration.ofSeconds(10), Optional.empty()));

    assertThat(calls()).containsExactly("GET /", "PUT /logger", "PUT /metrics", "PUT /machine-config",
        "PUT /boot-source", "PUT /drives/disk0", "PUT /vsock", "PUT /actions");
    assertThat(api().violations()).isEmpty();
    assertThat(jail.last().server().violations()).isEmpty();
    assertThat(Files.readString(vm.consoleLog())).contains(READY);

    vm.pause();
    assertThat(api().state()).isEqualTo("Paused");
    vm.resume();
    assertThat(api().state()).isEqualTo("Running");

    vm.requestShutdown();
    assertThat(vm.onExit().get(10, TimeUnit.SECONDS)).isEqualTo(0);
    assertThat(vm.guestRequestedShutdown()).isTrue();
    assertThat(api().violations()).isEmpty();
  }

  @Test
  void snapshotRestoresGuestMemoryInAFreshProcessAndSigtermLeavesNoStaleSocket() throws Exception {
    VmInstance first = driver.launch(spec(Duration.ofSeconds(10), Optional.empty()));
    jail.last().guest().memory.put("v", "31337");
    Path snap = Files.createDirectories(work.resolve("snap"));
    first.snapshot(snap);
    assertThat(snap.resolve("vm.state")).exists();
    assertThat(snap.resolve("memory.bin")).exists();
    assertThat(snap.resolve("disk.raw")).exists();
    assertThat(api().state()).isEqualTo("Running");

    Path socket = first.process().rootDir().resolve("run/firecracker.sock");
    first.process().signal(15);
    assertThat(first.onExit().get(10, TimeUnit.SECONDS)).isEqualTo(143);
    assertThat(first.guestRequestedShutdown()).isFalse();
    await().atMost(Duration.ofSeconds(5)).until(() -> !Files.exists(socket));

    VmInstance second = driver.launch(spec(Duration.ofSeconds(10), Optional.of(snap)));
    assertThat(calls()).containsExactly("GET /", "PUT /logger", "PUT /metrics", "PUT /snapshot/load");
    assertThat(api().violations()).isEmpty();
    assertThat(api().state()).isEqualTo("Running");
    assertThat(jail.last().guest().memory).containsEntry("v", "31337");
    second.process().killAll();
  }

  @Test
  void aHungBootFailsWithTheConsoleTailAndLeavesNothing() throws Exception {
    jail.nextGuestPrints("");
    LaunchSpec spec = spec(Duration.ofSeconds(2), Optional.empty());
    assertThatThrownBy(() -> driver.launch(spec)).isInstanceOfSatisfying(VmmException.class, e -> {
      assertThat(e.getMessage()).contains("did not print 'STOCKADE-READY' within PT2S");
      assertThat(e.consoleTail()).contains("Linux version");
    });
    assertThat(work.resolve("jails").resolve(spec.sandboxId())).doesNotExist();
    assertThat(spec.sandboxDir().resolve("disk.raw")).doesNotExist();
  }

  @Test
  void aRestartedSupervisorReattachesByPidAndStartTime() throws Exception {
    VmInstance vm = driver.launch(spec(Duration.ofSeconds(10), Optional.empty()));
    FirecrackerDriver restarted = FirecrackerDriver.create(jail, images, work.resolve("fake-firecracker"),
        FirecrackerOptions.defaults());
    VmInstance again = restarted.reattach(vm.sandboxId(), vm.persistentState()).orElseThrow();
    again.pause();
    assertThat(api().state()).isEqualTo("Paused");
    java.util.Map<String, String> wrongStart = new java.util.HashMap<>(vm.persistentState());
    wrongStart.put("startTime", "1");
    assertThat(restarted.reattach(vm.sandboxId(), wrongStart)).isEmpty();
    vm.process().killAll();
    vm.onExit().get(10, TimeUnit.SECONDS);
    assertThat(restarted.reattach(vm.sandboxId(), vm.persistentState())).isEmpty();
  }

  @Test
  void versionComesFromTheBinaryAndIsEmptyWithoutOne() throws Exception {
    assertThat(driver.version()).contains("1.7.0");
    assertThat(FirecrackerDriver.create(jail, images, work.resolve("missing"), FirecrackerOptions.defaults()).version())
        .isEmpty();
  }

  @Test
  void unsupportedRequestsAreRefusedByTheFakeAsByFirecracker() throws Exception {
    VmInstance vm = driver.launch(spec(Duration.ofSeconds(10), Optional.empty()));
    // A second InstanceStart is refused with Firecracker's fault message, surfaced in the exception.
    FirecrackerApi api = new FirecrackerApi(
        io.stockade.supervisor.vmm.support.UnixHttpClient.of(jail.last().server().socket(), Duration.ofSeconds(5)), version);
    assertThatThrownBy(() -> api.action("InstanceStart"))
        .hasMessageContaining("400").hasMessageContaining("not supported after starting");
    assertThatThrownBy(() -> api.createSnapshot("/run/a", "/run/b")).hasMessageContaining("not paused");
    vm.process().killAll();
    FakeUnixHttpServer s = jail.last().server();
    assertThat(s.violations()).isEmpty();
  }
}
