package io.stockade.supervisor.systemd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * sd_notify(3) over a junixsocket datagram socket: READY=1, STOPPING=1, STATUS=..., and WATCHDOG=1
 * every WATCHDOG_USEC/2 when systemd asks for it. NOTIFY_SOCKET is a path or, with a leading '@',
 * an abstract address. Without NOTIFY_SOCKET every call does nothing.
 */
public final class SdNotify implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SdNotify.class);

  private final AFUNIXSocketAddress target;
  private final AFUNIXDatagramSocket socket;
  private final Duration watchdog;
  private ScheduledExecutorService timer;

  private SdNotify(AFUNIXSocketAddress target, AFUNIXDatagramSocket socket, Duration watchdog) {
    this.target = target;
    this.socket = socket;
    this.watchdog = watchdog;
  }

  public static SdNotify fromEnvironment() {
    return from(System.getenv(), ProcessHandle.current().pid());
  }

  static SdNotify from(Map<String, String> env, long pid) {
    String path = env.get("NOTIFY_SOCKET");
    if (path == null || path.isEmpty()) {
      return new SdNotify(null, null, null);
    }
    Duration wd = null;
    String usec = env.get("WATCHDOG_USEC");
    String wdPid = env.get("WATCHDOG_PID");
    if (usec != null && (wdPid == null || wdPid.equals(Long.toString(pid)))) {
      try {
        wd = Duration.ofNanos(Long.parseLong(usec.trim()) * 1000);
      } catch (NumberFormatException e) {
        LOG.warn("WATCHDOG_USEC='{}' is not a number: watchdog pings disabled", usec);
      }
    }
    try {
      AFUNIXSocketAddress addr =
          path.startsWith("@")
              ? AFUNIXSocketAddress.inAbstractNamespace(path.substring(1))
              : AFUNIXSocketAddress.of(Path.of(path));
      return new SdNotify(addr, AFUNIXDatagramSocket.newInstance(), wd);
    } catch (IOException e) {
      LOG.warn("NOTIFY_SOCKET={} unusable: {}; systemd will not hear from us", path, e.toString());
      return new SdNotify(null, null, null);
    }
  }

  public boolean enabled() {
    return socket != null;
  }

  public Optional<Duration> watchdogInterval() {
    return Optional.ofNullable(watchdog);
  }

  /** Sends one notification, e.g. "READY=1\nSTATUS=serving". Failures are logged, not thrown. */
  public synchronized void send(String state) {
    if (socket == null) {
      return;
    }
    try {
      // The channel API: DatagramPacket insists on a resolved InetSocketAddress.
      socket.getChannel().send(ByteBuffer.wrap(state.getBytes(StandardCharsets.UTF_8)), target);
    } catch (IOException | RuntimeException e) {
      LOG.warn("sd_notify '{}' failed: {}", state.replace('\n', ' '), e.toString());
    }
  }

  public void ready(String status) {
    send("READY=1\nSTATUS=" + status + "\nMAINPID=" + ProcessHandle.current().pid());
    startWatchdog();
  }

  public void status(String status) {
    send("STATUS=" + status);
  }

  public void stopping(String status) {
    send("STOPPING=1\nSTATUS=" + status);
  }

  private synchronized void startWatchdog() {
    if (watchdog == null || timer != null || socket == null) {
      return;
    }
    long every = Math.max(1, watchdog.toMillis() / 2);
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sd-watchdog");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(() -> send("WATCHDOG=1"), 0, every, TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
    if (socket != null) {
      socket.close();
    }
  }
}
