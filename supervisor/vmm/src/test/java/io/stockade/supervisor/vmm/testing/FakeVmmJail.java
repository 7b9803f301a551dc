package io.stockade.supervisor.vmm.testing;

import io.stockade.supervisor.jail.JailException;
import io.stockade.supervisor.jail.JailLauncher;
import io.stockade.supervisor.jail.JailSpec;
import io.stockade.supervisor.jail.JailedProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A jail (the {@link UnconfinedJailLauncherFake}) whose launched "VMM" is a fake: the binary is
 * a shell script that waits (exit 143 on SIGTERM, 0 on SIGUSR1, which the fake guest uses to
 * "power off"), and the API it would serve is a {@link FakeUnixHttpServer} in this JVM, bound at
 * the socket path inside the jail's run directory. The server stops when the process exits and
 * leaves its socket file behind, as Firecracker does on SIGTERM.
 */
public final class FakeVmmJail implements JailLauncher {
  /** One launched fake VMM. */
  public record Launched(JailedProcess process, FakeUnixHttpServer server, FakeUnixHttpServer.Handler api, FakeGuest guest) {}

  private final UnconfinedJailLauncherFake jail;
  private final String socketName;
  private final String readyLine;
  private final BiFunction<Function<String, Path>, FakeGuest, FakeUnixHttpServer.Handler> apiFactory;
  private final List<Launched> launched = new CopyOnWriteArrayList<>();
  private volatile String nextReadyLine;

  /**
   * @param apiFactory builds the fake API from a resolver of jail paths to host paths (the
   *     fake jail's mounts live in its own mount namespace, the fake API in this JVM) and the
   *     fake guest
   */
  public FakeVmmJail(Path base, String socketName, String readyLine,
      BiFunction<Function<String, Path>, FakeGuest, FakeUnixHttpServer.Handler> apiFactory) {
    this.jail = new UnconfinedJailLauncherFake(base);
    this.socketName = socketName;
    this.readyLine = readyLine;
    this.apiFactory = apiFactory;
  }

  /** The next launched guest prints {@code line} when booted ("" = hangs). */
  public void nextGuestPrints(String line) {
    nextReadyLine = line;
  }

  public List<Launched> launched() {
    return List.copyOf(launched);
  }

  public Launched last() {
    return launched.get(launched.size() - 1);
  }

  /** Writes the fake VMM binary: prints {@code versionLine} for --version, otherwise waits. */
  public static Path writeBinary(Path dir, String name, String versionLine) throws IOException {
    Path bin = dir.resolve(name);
    Files.writeString(bin, "#!/bin/sh\n"
        + "# Fake VMM (tests only): its API is served by the test JVM.\n"
        + "if [ \"$1\" = \"--version\" ]; then echo '" + versionLine + "'; exit 0; fi\n"
        + "trap 'exit 143' TERM\n"
        + "trap 'exit 0' USR1\n"
        + ": > /run/fake-vmm.ready\n"
        + "while :; do sleep 0.2 & wait $!; done\n");
    Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
    return bin;
  }

  @Override
  public int reserveUid(String sandboxId) {
    return jail.reserveUid(sandboxId);
  }

  @Override
  public JailedProcess launch(JailSpec spec) throws JailException {
    JailedProcess p = jail.launch(spec);
    // Like a real VMM, the API appears only once the process is up (its signal traps set).
    Path ready = p.rootDir().resolve("run/fake-vmm.ready");
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!Files.exists(ready) && !p.onExit().isDone() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    String line = nextReadyLine != null ? nextReadyLine : readyLine;
    nextReadyLine = null;
    FakeGuest guest = new FakeGuest(p.consoleFile(), line, () -> p.signal(10));
    FakeUnixHttpServer.Handler api = apiFactory.apply(jailPath -> resolve(spec, p.rootDir(), jailPath), guest);
    try {
      FakeUnixHttpServer server = FakeUnixHttpServer.start(p.rootDir().resolve("run").resolve(socketName), api);
      p.onExit().thenRun(server::close);
      launched.add(new Launched(p, server, api, guest));
    } catch (IOException e) {
      p.killAll();
      throw new JailException("fake_api", 0, "fake API for " + spec.sandboxId() + ": " + e.getMessage(), e);
    }
    return p;
  }

  /** The host path behind {@code jailPath}: inside the longest mount that covers it, else under the root. */
  static Path resolve(JailSpec spec, Path root, String jailPath) {
    JailSpec.Mount best = null;
    for (JailSpec.Mount m : spec.mounts()) {
      if ((jailPath.equals(m.jailPath()) || jailPath.startsWith(m.jailPath() + "/"))
          && (best == null || m.jailPath().length() > best.jailPath().length())) {
        best = m;
      }
    }
    if (best == null) {
      return root.resolve(jailPath.substring(1));
    }
    String rest = jailPath.substring(best.jailPath().length());
    return rest.isEmpty() ? best.hostPath() : best.hostPath().resolve(rest.substring(1));
  }

  @Override
  public Optional<JailedProcess> reattach(String sandboxId, long pid, long startTime) {
    return jail.reattach(sandboxId, pid, startTime);
  }

  @Override
  public void cleanup(String sandboxId) {
    jail.cleanup(sandboxId);
  }
}
