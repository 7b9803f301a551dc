package io.stockade.supervisor.vmm.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.jail.JailLauncher;
import io.stockade.supervisor.jail.JailedProcess;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.VmmKind;
import java.io.FileOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/** A running QEMU microvm: lifecycle over QMP, console over the serial socket. */
final class QemuInstance implements VmInstance {
  /** What the launch decided, kept for snapshots' manifests and for reattaching. */
  record Setup(
      String sandboxId, int vcpus, long memoryMiB, String imageName, String imageVersion, Path disk,
      boolean network, String kernelCommandLine) {
    static Setup of(LaunchSpec spec, ResolvedImage image, Path disk, String cmdline) {
      return new Setup(spec.sandboxId(), spec.vcpus(), spec.memoryMiB(), image.name(), image.version(), disk,
          spec.network().isPresent(), cmdline);
    }
  }

  private static final Duration MIGRATION_TIMEOUT = Duration.ofMinutes(5);
  private final JailedProcess process;
  private final Setup setup;
  private final QmpClient qmp;
  private final AtomicBoolean guestShutdown;
  private SocketChannel console;

  private QemuInstance(JailedProcess process, Setup setup, QmpClient qmp, AtomicBoolean guestShutdown) {
    this.process = process;
    this.setup = setup;
    this.qmp = qmp;
    this.guestShutdown = guestShutdown;
  }

  /** Connects QMP once QEMU listens (it creates the socket before the guest starts). */
  static QemuInstance start(JailedProcess process, Setup setup, Duration timeout) throws VmmException {
    AtomicBoolean flag = new AtomicBoolean();
    QmpClient qmp =
        QmpClient.connect(
            process.rootDir().resolve("run/qmp.sock"), Duration.ofSeconds(10), timeout, process.onExit(),
            e -> {
              // SHUTDOWN with guest:true is the guest powering off (ACPI, poweroff -f, triple fault
              // excepted: that one reports reason "guest-reset" and -no-reboot turns it into exit).
              if (e.name().equals("SHUTDOWN") && e.data().path("guest").asBoolean(false)) {
                flag.set(true);
              }
            });
    return new QemuInstance(process, setup, qmp, flag);
  }

  static Optional<QemuInstance> reattach(JailLauncher jail, String sandboxId, Map<String, String> state, Duration timeout) {
    try {
      long pid = Long.parseLong(state.get("pid"));
      long startTime = Long.parseLong(state.get("startTime"));
      Optional<JailedProcess> p = jail.reattach(sandboxId, pid, startTime);
      if (p.isEmpty()) {
        return Optional.empty();
      }
      String disk = state.getOrDefault("disk", "");
      Setup setup =
          new Setup(sandboxId, Integer.parseInt(state.get("vcpus")), Long.parseLong(state.get("memoryMiB")),
              state.get("imageName"), state.get("imageVersion"), disk.isEmpty() ? null : Path.of(disk),
              Boolean.parseBoolean(state.get("network")), state.get("kernelCommandLine"));
      return Optional.of(start(p.get(), setup, timeout));
    } catch (VmmException | RuntimeException e) {
      return Optional.empty();
    }
  }

  @Override
  public String sandboxId() {
    return setup.sandboxId();
  }

  @Override
  public VmmKind kind() {
    return VmmKind.QEMU;
  }

  @Override
  public JailedProcess process() {
    return process;
  }

  @Override
  public Path consoleLog() {
    return process.rootDir().resolve("run/console.log");
  }

  @Override
  public synchronized void writeConsole(byte[] bytes) throws VmmException {
    try {
      if (console == null || !console.isOpen()) {
        console = SocketChannel.open(StandardProtocolFamily.UNIX);
        console.connect(UnixDomainSocketAddress.of(process.rootDir().resolve("run/console.sock")));
        drain(console);
      }
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        console.write(b);
      }
    } catch (IOException e) {
      throw new VmmException("console " + sandboxId() + ": cannot write to the serial socket: " + e.getMessage(), e);
    }
  }

  /**
   * Reads and drops what the guest prints to the connected socket: QEMU also writes it to the
   * console log, and an unread socket would eventually stall the guest's serial port.
   */
  private static void drain(SocketChannel ch) {
    Thread t =
        new Thread(
            () -> {
              ByteBuffer buf = ByteBuffer.allocate(8192);
              try {
                while (ch.read(buf.clear()) >= 0) {
                  // Discarded on purpose: the log has it.
                }
              } catch (IOException e) {
                // Closed: the instance is gone or was closed.
              }
            },
            "console-drain");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void requestShutdown() throws VmmException {
    qmp.systemPowerdown();
  }

  @Override
  public void pause() throws VmmException {
    qmp.stop();
  }

  @Override
  public void resume() throws VmmException {
    qmp.cont();
  }

  /** QEMU's run state as QMP reports it ("running", "paused"...). */
  String status() throws VmmException {
    return qmp.queryStatus();
  }

  @Override
  public void snapshot(Path directory) throws VmmException {
    boolean wasRunning = "running".equals(qmp.queryStatus());
    if (wasRunning) {
      qmp.stop();
    }
    try {
      // The default cap (128 MiB/s) is meant for live migration over a network; a stopped
      // guest going to a local file should go as fast as the disk takes it.
      qmp.migrateSetMaxBandwidth(Long.MAX_VALUE / 2);
      Path memory = directory.resolve(QemuSnapshot.MEMORY);
      try (FileOutputStream out = new FileOutputStream(memory.toFile())) {
        qmp.getfd("stk-snapshot", out.getFD());
      } catch (IOException e) {
        throw new VmmException("snapshot " + sandboxId() + ": cannot create " + memory + ": " + e.getMessage(), e);
      }
      qmp.migrate("fd:stk-snapshot");
      awaitMigration("snapshot");
      if (setup.disk() != null) {
        // QEMU flushed and released the disk at the end of the migration; the guest is stopped.
        Files.copy(setup.disk(), directory.resolve(QemuSnapshot.DISK));
      }
      QemuSnapshot.writeManifest(
          directory,
          new QemuSnapshot.Manifest(
              QemuSnapshot.FORMAT, "qemu", qmp.execute("query-version", null).path("qemu").toString(),
              setup.imageName(), setup.imageVersion(), setup.vcpus(), setup.memoryMiB(), setup.disk() != null,
              setup.network(), setup.kernelCommandLine(), Instant.now().toString()));
    } catch (IOException e) {
      throw new VmmException("snapshot " + sandboxId() + ": cannot copy the disk into " + directory + ": " + e.getMessage(), e);
    } finally {
      if (wasRunning) {
        qmp.cont();
      }
    }
  }

  /** Feeds a snapshot's migration stream to a QEMU started with {@code -incoming defer}, then runs it. */
  void restoreFrom(Path memory) throws VmmException {
    try (java.io.FileInputStream in = new java.io.FileInputStream(memory.toFile())) {
      qmp.getfd("stk-restore", in.getFD());
    } catch (IOException e) {
      throw new VmmException("restore " + sandboxId() + ": cannot open " + memory + ": " + e.getMessage(), e);
    }
    qmp.migrateIncoming("fd:stk-restore");
    awaitMigration("restore");
    qmp.cont();
  }

  private void awaitMigration(String what) throws VmmException {
    long deadline = System.nanoTime() + MIGRATION_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode m = qmp.queryMigrate();
      String status = m.path("status").asText();
      if (status.equals("completed")) {
        return;
      }
      if (status.equals("failed") || status.equals("cancelled")) {
        throw new VmmException(what + " " + sandboxId() + ": QEMU's migration " + status + ": " + m.path("error-desc").asText());
      }
      if (process.onExit().isDone()) {
        throw new VmmException(what + " " + sandboxId() + ": QEMU exited during the migration");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new VmmException(what + " " + sandboxId() + ": interrupted", e);
      }
    }
    throw new VmmException(what + " " + sandboxId() + ": migration did not finish within " + MIGRATION_TIMEOUT);
  }

  @Override
  public CompletableFuture<Integer> onExit() {
    return process.onExit();
  }

  @Override
  public boolean guestRequestedShutdown() {
    return guestShutdown.get();
  }

  @Override
  public Map<String, String> persistentState() {
    Map<String, String> s = new HashMap<>();
    s.put("pid", Long.toString(process.pid()));
    s.put("startTime", Long.toString(process.startTime()));
    s.put("qmpSocket", process.rootDir().resolve("run/qmp.sock").toString());
    s.put("consoleSocket", process.rootDir().resolve("run/console.sock").toString());
    s.put("consoleLog", consoleLog().toString());
    s.put("disk", setup.disk() == null ? "" : setup.disk().toString());
    s.put("vcpus", Integer.toString(setup.vcpus()));
    s.put("memoryMiB", Long.toString(setup.memoryMiB()));
    s.put("imageName", setup.imageName());
    s.put("imageVersion", setup.imageVersion());
    s.put("network", Boolean.toString(setup.network()));
    s.put("kernelCommandLine", setup.kernelCommandLine());
    return Map.copyOf(s);
  }

  /** Drops the control connections (the VM keeps running). */
  synchronized void closeConnections() {
    qmp.close();
    if (console != null) {
      try {
        console.close();
      } catch (IOException e) {
        // Already closed by the peer.
      }
    }
  }

}
