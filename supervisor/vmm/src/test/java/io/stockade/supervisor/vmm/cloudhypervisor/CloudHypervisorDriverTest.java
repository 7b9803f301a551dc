package io.stockade.supervisor.vmm.cloudhypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.support.SandboxFiles;
import io.stockade.supervisor.vmm.support.UnixHttpClient;
import io.stockade.supervisor.vmm.testing.DirectoryImageResolverFake;
import io.stockade.supervisor.vmm.testing.FakeCloudHypervisorApi;
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

/** The cloud-hypervisor driver against {@link FakeCloudHypervisorApi} (no binary can run here). */
class CloudHypervisorDriverTest {
  private static final String READY = "STOCKADE-READY";
  private Path work;
  private FakeVmmJail jail;
  private CloudHypervisorDriver driver;
  private DirectoryImageResolverFake images;
  private ResolvedImage image;
  private final List<String> ids = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root for mount namespaces");
    work = Files.createTempDirectory("stk-vm-ch-");
    Path img = Files.createDirectories(work.resolve("image"));
    Files.writeString(img.resolve("vmlinuz"), "kernel");
    Files.writeString(img.resolve("initramfs.cpio.gz"), "initrd");
    Files.write(img.resolve("rootfs.ext4"), new byte[1 << 20]);
    images = DirectoryImageResolverFake.of(img).orElseThrow();
    ResolvedImage i = images.image();
    image = new ResolvedImage(i.name(), i.version(), i.kernel(), i.initrd(), i.rootfs(), "console=ttyS0",
        Set.of("qemu", "cloud-hypervisor"), READY);
    useVersion("41.0");
  }

  private void useVersion(String v) throws Exception {
    jail = new FakeVmmJail(work.resolve("jails"), "cloud-hypervisor.sock", READY,
        (paths, guest) -> new FakeCloudHypervisorApi(v, paths, guest));
    Path bin = FakeVmmJail.writeBinary(work, "fake-cloud-hypervisor", "cloud-hypervisor v" + v);
    driver = CloudHypervisorDriver.create(jail, images, bin, CloudHypervisorOptions.defaults());
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
    return new LaunchSpec(id, 1, 512, Optional.of(image), List.of(), Optional.empty(),
        work.resolve("sb").resolve(id), timeout, restore);
  }

  private FakeCloudHypervisorApi api() {
    return (FakeCloudHypervisorApi) jail.last().api();
  }

  private List<String> calls() {
    return jail.last().server().requests().stream().map(r -> r.method() + " " + r.path()).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"41.0", "27.0"})
  void createsBeforeBootingThenPausesResumesAndPowersOff(String version) throws Exception {
    useVersion(version);
    VmInstance vm = driver.launch(spec(Duration.ofSeconds(10), Optional.empty()));

    assertThat(calls()).containsExactly("GET /api/v1/vmm.ping", "PUT /api/v1/vm.create", "PUT /api/v1/vm.boot");
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
  void snapshotRestoresIntoAFreshVmmWithoutCreate() throws Exception {
    VmInstance first = driver.launch(spec(Duration.ofSeconds(10), Optional.empty()));
    jail.last().guest().memory.put("v", "4242");
    Path snap = Files.createDirectories(work.resolve("snap"));
    first.snapshot(snap);
    assertThat(snap.resolve("config.json")).exists();
    assertThat(snap.resolve("memory-ranges")).exists();
    assertThat(snap.resolve("manifest.json")).exists();
    assertThat(api().state()).isEqualTo("Running");
    first.process().killAll();
    first.onExit().get(10, TimeUnit.SECONDS);

    VmInstance second = driver.launch(spec(Duration.ofSeconds(10), Optional.of(snap)));
    assertThat(calls()).containsExactly("GET /api/v1/vmm.ping", "PUT /api/v1/vm.restore", "PUT /api/v1/vm.resume");
    assertThat(api().violations()).isEmpty();
    assertThat(api().state()).isEqualTo("Running");
    assertThat(jail.last().guest().memory).containsEntry("v", "4242");
    second.process().killAll();
  }

  @Test
  void restoringWithADifferentShapeIsRefusedBeforeAnythingStarts() throws Exception {
    VmInstance first = driver.launch(spec(Duration.ofSeconds(10), Optional.empty()));
    Path snap = Files.createDirectories(work.resolve("snap"));
    first.snapshot(snap);
    first.process().killAll();
    int launches = jail.launched().size();
    LaunchSpec s = spec(Duration.ofSeconds(10), Optional.of(snap));
    LaunchSpec bigger = new LaunchSpec(s.sandboxId(), 2, 512, s.image(), s.command(), s.network(), s.sandboxDir(),
        s.readyTimeout(), s.restoreFrom());
    assertThatThrownBy(() -> driver.launch(bigger)).hasMessageContaining("ask for the snapshot's shape");
    assertThat(jail.launched()).hasSize(launches);
  }

  @Test
  void aRestartedSupervisorReattachesAndPingsTheApiAgain() throws Exception {
    VmInstance vm = driver.launch(spec(Duration.ofSeconds(10), Optional.empty()));
    CloudHypervisorDriver restarted = CloudHypervisorDriver.create(jail, images, work.resolve("fake-cloud-hypervisor"),
        CloudHypervisorOptions.defaults());
    VmInstance again = restarted.reattach(vm.sandboxId(), vm.persistentState()).orElseThrow();
    assertThat(((CloudHypervisorInstance) again).state()).isEqualTo("Running");
    assertThat(again.consoleLog()).isEqualTo(vm.consoleLog());
    vm.process().killAll();
    vm.onExit().get(10, TimeUnit.SECONDS);
    assertThat(restarted.reattach(vm.sandboxId(), vm.persistentState())).isEmpty();
  }

  @Test
  void aHungBootFailsAndLeavesNothing() throws Exception {
    jail.nextGuestPrints("");
    LaunchSpec spec = spec(Duration.ofSeconds(2), Optional.empty());
    assertThatThrownBy(() -> driver.launch(spec)).isInstanceOfSatisfying(VmmException.class,
        e -> assertThat(e.consoleTail()).contains("Linux version"));
    assertThat(work.resolve("jails").resolve(spec.sandboxId())).doesNotExist();
    assertThat(spec.sandboxDir().resolve("disk.raw")).doesNotExist();
  }

  @Test
  void bootBeforeCreateIsRefusedAsTheSpecSays() throws Exception {
    VmInstance vm = driver.launch(spec(Duration.ofSeconds(10), Optional.empty()));
    UnixHttpClient http = UnixHttpClient.of(jail.last().server().socket(), Duration.ofSeconds(5));
    assertThat(http.send("PUT", "/api/v1/vm.create", "{\"payload\":{\"kernel\":\"/vm/kernel\"},\"bogus\":1}").status())
        .isEqualTo(400);
    assertThat(http.send("PUT", "/api/v1/vm.resume", null).status()).isEqualTo(405);
    assertThat(driver.version()).contains("41.0");
    vm.process().killAll();
  }
}
