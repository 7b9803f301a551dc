package io.stockade.supervisor.vmm.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stockade.policy.CpuList;
import io.stockade.supervisor.jail.JailSpec;
import io.stockade.supervisor.net.SandboxNetwork;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.testing.FakeUnixHttpServer;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SupportTest {
  @TempDir Path dir;

  @Test
  void versionsAreParsedFromEachVmmsOutput() {
    assertThat(VersionProbe.parse("Firecracker v1.7.0\n\nExiting successfully\n")).contains("1.7.0");
    assertThat(VersionProbe.parse("cloud-hypervisor v41.0.0-dirty\n")).contains("41.0.0");
    assertThat(VersionProbe.parse("cloud-hypervisor v40.0\n")).contains("40.0");
    assertThat(VersionProbe.parse("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n"
        + "Copyright (c) 2003-2022 Fabrice Bellard")).contains("7.2.22");
    assertThat(VersionProbe.parse("no digits here")).isEmpty();
    assertThat(VersionProbe.run(dir.resolve("absent"), Duration.ofSeconds(1))).isEmpty();
    assertThat(Versions.atLeast("v41.0", 28, 0)).isTrue();
    assertThat(Versions.atLeast("27.1", 28, 0)).isFalse();
    assertThat(Versions.atLeast("1.12.0-dev", 1, 12)).isTrue();
    assertThat(Versions.atLeast("0.25.2", 1, 0)).isFalse();
  }

  @Test
  void guestCommandLineCarriesTscNetworkAndTheQuotedCommand() throws Exception {
    SandboxNetwork net = new SandboxNetwork("s", 1, Path.of("/run/netns/x"), "stk1", "02:00:00:00:00:01",
        "10.0.0.2", 30, "10.0.0.1", List.of("10.0.0.1"));
    String line = GuestCommandLine.build("console=ttyS0 quiet ", 2596094, Optional.of(net),
        List.of("sh", "-c", "echo it's $HOME"));
    assertThat(line).startsWith("console=ttyS0 quiet tsc_early_khz=2596094 "
        + "ip=10.0.0.2::10.0.0.1:255.255.255.252::eth0:off:10.0.0.1 stockade.cmd=");
    String cmd = new String(Base64.getDecoder().decode(line.substring(line.indexOf("stockade.cmd=") + 13)),
        StandardCharsets.UTF_8);
    assertThat(cmd).isEqualTo("sh -c 'echo it'\\''s $HOME'");
    assertThat(GuestCommandLine.build("console=ttyS0", 0, Optional.empty(), List.of())).isEqualTo("console=ttyS0");
    assertThatThrownBy(() -> GuestCommandLine.build("a", 0, Optional.empty(), List.of("x".repeat(2000))))
        .isInstanceOf(VmmException.class).hasMessageContaining("the kernel accepts 2047");
  }

  @Test
  void hostTscFallsBackToCpuinfo() throws Exception {
    Path cpuinfo = Files.writeString(dir.resolve("cpuinfo"), "processor\t: 0\ncpu MHz\t\t: 2596.094\n");
    assertThat(HostTsc.khz(dir.resolve("none"), cpuinfo)).hasValue(2596094);
    Path sys = Files.writeString(dir.resolve("tsc"), "3000000\n");
    assertThat(HostTsc.khz(sys, cpuinfo)).hasValue(3000000);
  }

  @Test
  void httpResponsesWithEmptyReasonAndNoLengthOn204AreRead() throws Exception {
    UnixHttpClient.Response r = UnixHttpClient.read(
        new ByteArrayInputStream("HTTP/1.1 204 \r\nServer: Firecracker API\r\n\r\n".getBytes(StandardCharsets.US_ASCII)), "PUT");
    assertThat(r.status()).isEqualTo(204);
    assertThat(r.reason()).isEmpty();
    assertThat(r.body()).isEmpty();
    r = UnixHttpClient.read(new ByteArrayInputStream(
        "HTTP/1.1 400\r\nContent-Length: 26\r\n\r\n{\"fault_message\":\"nope.\"}X".getBytes(StandardCharsets.US_ASCII)), "PUT");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).isEqualTo("{\"fault_message\":\"nope.\"}X".substring(0, 26));
  }

  @Test
  void requestsAlwaysCarryContentLengthAndLargeBodiesAreRefused() throws Exception {
    try (FakeUnixHttpServer server = FakeUnixHttpServer.start(dir.resolve("api.sock"),
        req -> new FakeUnixHttpServer.Response(204, "", null))) {
      UnixHttpClient http = UnixHttpClient.of(server.socket(), Duration.ofSeconds(5));
      assertThat(http.send("PUT", "/x", "{\"a\":1}").status()).isEqualTo(204);
      assertThat(http.send("GET", "/", null).status()).isEqualTo(204);
      assertThat(server.requests()).allSatisfy(r -> assertThat(r.headers()).containsKey("content-length"));
      assertThat(server.requests().get(0).body()).isEqualTo("{\"a\":1}");
      assertThat(server.violations()).isEmpty();
      assertThatThrownBy(() -> http.send("PUT", "/x", "\"" + "y".repeat(UnixHttpClient.MAX_BODY) + "\""))
          .hasMessageContaining("exceeds the API's limit of 51200");
    }
  }

  @Test
  void aConsoleLogPastItsLimitIsRotatedAndAnAppendingWriterCarriesOn() throws Exception {
    Path log = dir.resolve("console.log");
    try (java.io.FileOutputStream writer = new java.io.FileOutputStream(log.toFile(), true)) { // O_APPEND, as QEMU
      writer.write("x".repeat(100).getBytes(StandardCharsets.US_ASCII));
      assertThat(ConsoleRotation.rotateIfLarger(log, 200)).isFalse();
      writer.write("y".repeat(150).getBytes(StandardCharsets.US_ASCII));
      assertThat(ConsoleRotation.rotateIfLarger(log, 200)).isTrue();
      assertThat(Files.size(dir.resolve("console.log.1"))).isEqualTo(250);
      writer.write("after\n".getBytes(StandardCharsets.US_ASCII));
    }
    assertThat(Files.readString(log)).isEqualTo("after\n"); // no hole where the old bytes were
    assertThat(ConsoleRotation.rotateIfLarger(dir.resolve("absent"), 1)).isFalse();
  }

  @Test
  void consoleWaitSeesTheLineOrReportsTheExitOrTimeout() throws Exception {
    Path log = dir.resolve("console.log");
    Files.writeString(log, "booting\r\nSTOCKADE-READY\r\n");
    CompletableFuture<Integer> running = new CompletableFuture<>();
    assertThat(ConsoleLog.of(log).awaitLine("STOCKADE-READY", Duration.ofSeconds(1), running))
        .isEqualTo(ConsoleLog.Outcome.SEEN);
    // A partial line does not count: the guest may still be printing it.
    Files.writeString(log, "STOCKADE-REA");
    assertThat(ConsoleLog.of(log).awaitLine("STOCKADE-READY", Duration.ofMillis(100), running))
        .isEqualTo(ConsoleLog.Outcome.TIMED_OUT);
    assertThat(ConsoleLog.of(log).awaitLine("X", Duration.ofSeconds(5), CompletableFuture.completedFuture(1)))
        .isEqualTo(ConsoleLog.Outcome.PROCESS_EXITED);
    Files.writeString(log, "a\nb\nc\n");
    assertThat(ConsoleLog.tail(log, 2)).isEqualTo("b\nc");
    assertThat(ConsoleLog.tail(dir.resolve("none"), 2)).isEmpty();
  }

  @Test
  void aVmmJailCarriesTheRequestsCpusPidsAndIoLimits(@TempDir Path dir) {
    LaunchSpec spec = new LaunchSpec("stk-cps-s", 2, 128, Optional.empty(), List.of(), Optional.empty(), dir,
        Duration.ofSeconds(5), Optional.empty(), List.of(), 40, 1000, 2000, CpuList.parse("1,3"));
    JailSpec.Limits l = LaunchSteps.vmmJail(spec, Path.of("/usr/bin/qemu-system-x86_64"), List.of("qemu"), List.of(),
        List.of(), 64, 100, "qemu", false).limits();
    assertThat(l.cpus()).isEqualTo(CpuList.parse("1,3"));
    assertThat(l.pids()).isEqualTo(40);
    assertThat(l.ioReadBytesPerSec()).isEqualTo(1000);
    assertThat(l.ioWriteBytesPerSec()).isEqualTo(2000);
    assertThat(l.cpuMillis()).isEqualTo(2000);
    LaunchSpec unpinned = new LaunchSpec("stk-cps-s", 1, 128, Optional.empty(), List.of(), Optional.empty(), dir,
        Duration.ofSeconds(5), Optional.empty());
    assertThat(LaunchSteps.vmmJail(unpinned, Path.of("/usr/bin/qemu-system-x86_64"), List.of("qemu"), List.of(),
        List.of(), 64, 100, "qemu", false).limits().cpus()).isEqualTo(CpuList.NONE);
  }
}
