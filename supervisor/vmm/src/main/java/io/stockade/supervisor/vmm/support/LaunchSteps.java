package io.stockade.supervisor.vmm.support;

import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.jail.JailException;
import io.stockade.supervisor.jail.JailLauncher;
import io.stockade.supervisor.jail.JailSpec;
import io.stockade.supervisor.jail.JailedProcess;
import io.stockade.supervisor.jail.SystemMounts;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Steps every VM driver's launch shares: the image check, the jail's mounts, devices and limits,
 * starting and reattaching the jail, waiting for the readiness line, abandoning a failed launch.
 */
public final class LaunchSteps {
  private LaunchSteps() {}

  /** The spec's image, which must list {@code vmm} among its VMMs (or list none); {@code hint} ends the refusal. */
  public static ResolvedImage requireImage(LaunchSpec spec, String vmm, String hint) throws VmmException {
    String id = spec.sandboxId();
    ResolvedImage image =
        spec.image().orElseThrow(() -> new VmmException("launch " + id + ": a " + vmm + " sandbox needs an image"));
    if (!image.vmmKinds().isEmpty() && !image.vmmKinds().contains(vmm)) {
      throw new VmmException("launch " + id + ": image " + image.name() + " boots only on " + image.vmmKinds() + hint);
    }
    return image;
  }

  /** The host's system directories read-only, the kernel and the initrd (if any) read-only at the given jail paths. */
  public static List<JailSpec.Mount> bootMounts(ResolvedImage image, String kernel, String initrd) {
    List<JailSpec.Mount> mounts = new ArrayList<>(SystemMounts.readOnly());
    mounts.add(new JailSpec.Mount(image.kernel(), kernel, false));
    image.initrd().ifPresent(i -> mounts.add(new JailSpec.Mount(i, initrd, false)));
    return mounts;
  }

  /** {@code null}, {@code urandom}, plus {@code kvm} and {@code net/tun} when the VMM needs them. */
  public static List<String> devices(boolean kvm, boolean network) {
    List<String> devices = new ArrayList<>(List.of("null", "urandom"));
    if (kvm) {
      devices.add("kvm");
    }
    if (network) {
      devices.add("net/tun");
    }
    return devices;
  }

  /**
   * A VMM's jail: {@code vcpus*1000} CPU millis, guest RAM plus {@code overheadMiB}, no file-size
   * limit (VMMs write snapshot memory files and RLIMIT_FSIZE would kill them with SIGXFSZ); the
   * request's pids limit (else the kind's {@code pids}) and its I/O bandwidth limits.
   */
  public static JailSpec vmmJail(LaunchSpec spec, Path binary, List<String> argv, List<JailSpec.Mount> mounts,
      List<String> devices, long overheadMiB, int pids, String seccompProfile, boolean userNamespace) {
    long memoryBytes = (spec.memoryMiB() + overheadMiB) * 1024 * 1024;
    JailSpec.Limits limits = new JailSpec.Limits(spec.vcpus() * 1000L, memoryBytes, spec.pidsOr(pids), spec.openFilesOr(1024), 0)
        .withIo(spec.ioReadBytesPerSec(), spec.ioWriteBytesPerSec()).withCpus(spec.cpus());
    return new JailSpec(spec.sandboxId(), binary, argv, Map.of(), mounts, devices,
        spec.network().map(n -> n.netnsPath()), limits, seccompProfile, userNamespace, "/");
  }

  public static JailedProcess startJail(JailLauncher jail, JailSpec spec) throws VmmException {
    try {
      return jail.launch(spec);
    } catch (JailException e) {
      throw new VmmException("launch " + spec.sandboxId() + ": jail step " + e.step() + " failed: " + e.getMessage(), e);
    }
  }

  /** Reconnects to a reattached VMM's control channel and builds its instance. */
  public interface Reconnect<V extends VmInstance> {
    V connect(JailedProcess process, VmSetup setup) throws VmmException;
  }

  /**
   * A driver's reattach: the jailed process {@code state} (a {@code persistentState()}) names, if it
   * still runs (pid and start time must both match), reconnected; its disk recorded in {@code disks}
   * so that cleanup(id) after the restart removes it. Empty when the VMM is gone, the record is
   * incomplete or the control channel does not answer.
   */
  public static Optional<VmInstance> reattach(JailLauncher jail, VmDisks disks, String sandboxId,
      Map<String, String> state, Reconnect<?> reconnect) {
    try {
      Optional<JailedProcess> p =
          jail.reattach(sandboxId, Long.parseLong(state.get("pid")), Long.parseLong(state.get("startTime")));
      if (p.isEmpty()) {
        return Optional.empty();
      }
      VmSetup setup = VmSetup.fromState(sandboxId, state);
      VmInstance vm = reconnect.connect(p.get(), setup);
      disks.remember(sandboxId, setup.disk());
      return Optional.of(vm);
    } catch (VmmException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * The last console lines of a failed launch: the VMM's own output (the jail's console file, 10
   * lines) when the guest console is elsewhere, then the guest console (30 lines), each labelled.
   */
  public static String consoleTail(JailedProcess process, String vmm, Path guestConsole) {
    StringBuilder b = new StringBuilder();
    if (!guestConsole.equals(process.consoleFile())) {
      String own = ConsoleLog.tail(process.consoleFile(), 10);
      if (!own.isBlank()) {
        b.append('[').append(vmm).append("]\n").append(own.strip()).append('\n');
      }
    }
    String guest = ConsoleLog.tail(guestConsole, 30);
    if (!guest.isBlank()) {
      b.append("[guest console]\n").append(guest.strip()).append('\n');
    }
    return b.toString();
  }

  /**
   * Abandons a launch that failed after its jail started ({@link #abandon}) and returns {@code e}
   * with the console tail, taken before the jail goes, appended.
   */
  public static VmmException failed(JailLauncher jail, JailedProcess process, String vmm, Path guestConsole,
      VmmException e) {
    String tail = consoleTail(process, vmm, guestConsole);
    abandon(jail, process);
    return new VmmException(e.getMessage() + (tail.isBlank() ? "" : "\n" + tail), e, false, tail);
  }

  /** What runs in a started jail: connect to the VMM, configure or restore it, wait for readiness. */
  public interface InJail<V> {
    V boot(JailedProcess process) throws VmmException;
  }

  /**
   * Starts {@code spec}'s jail and runs {@code boot} in it; when that fails, abandons the jail and
   * throws with the console tail ({@link #failed}). {@code guestConsole} is relative to the jail's root
   * (empty: the guest console is the jail's console file).
   */
  public static <V> V inJail(JailLauncher jail, JailSpec spec, String vmm, String guestConsole, InJail<V> boot)
      throws VmmException {
    JailedProcess process = startJail(jail, spec);
    try {
      return boot.boot(process);
    } catch (VmmException e) {
      Path console = guestConsole.isEmpty() ? process.consoleFile() : process.rootDir().resolve(guestConsole);
      throw failed(jail, process, vmm, console, e);
    }
  }

  /** Waits for the image's readiness line on {@code vm}'s console within the spec's timeout. */
  public static void awaitReady(LaunchSpec spec, ResolvedImage image, String vmm, VmInstance vm) throws VmmException {
    awaitReady(spec.sandboxId(), vmm, vm.consoleLog(), image.readyLine(), spec.readyTimeout(), vm.onExit());
  }

  /** Waits for {@code readyLine} in {@code console}; throws naming what went wrong. */
  public static void awaitReady(String sandboxId, String vmm, Path console, String readyLine, Duration timeout,
      CompletableFuture<Integer> exit) throws VmmException {
    ConsoleLog.Outcome outcome;
    try {
      outcome = ConsoleLog.of(console).awaitLine(readyLine, timeout, exit);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VmmException("launch " + sandboxId + ": interrupted while waiting for the guest", e);
    }
    if (outcome == ConsoleLog.Outcome.PROCESS_EXITED) {
      throw new VmmException("launch " + sandboxId + ": " + vmm + " exited with status " + exit.getNow(-1)
          + " before the guest printed '" + readyLine + "'");
    }
    if (outcome == ConsoleLog.Outcome.TIMED_OUT) {
      throw new VmmException("launch " + sandboxId + ": the guest did not print '" + readyLine + "' within " + timeout
          + " (a hung boot: check the kernel command line and the console below)");
    }
  }

  /** Kills what a failed launch started (the whole cgroup) and removes its jail; bounded. */
  public static void abandon(JailLauncher jail, JailedProcess process) {
    process.killAll();
    try {
      process.onExit().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Still there after cgroup.kill and 10 s: jail.cleanup reports what it cannot remove.
    }
    jail.cleanup(process.sandboxId());
  }
}
