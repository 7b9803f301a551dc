package io.stockade.supervisor.vmm.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
}
