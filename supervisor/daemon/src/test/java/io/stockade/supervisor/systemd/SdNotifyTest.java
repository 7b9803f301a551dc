package io.stockade.supervisor.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** sd_notify messages arrive on a datagram socket the test listens on, as systemd's would. */
class SdNotifyTest {
  @TempDir Path dir;

  private static String receive(AFUNIXDatagramSocket s) throws Exception {
    DatagramPacket p = new DatagramPacket(new byte[4096], 4096);
    s.receive(p);
    return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
  }

  @Test
  void readyStatusStoppingAndWatchdogOnAPathSocket() throws Exception {
    Path sock = dir.resolve("notify");
    try (AFUNIXDatagramSocket listener = AFUNIXDatagramSocket.newInstance()) {
      listener.bind(AFUNIXSocketAddress.of(sock));
      listener.setSoTimeout(5000);
      long pid = ProcessHandle.current().pid();
      try (SdNotify n = SdNotify.from(Map.of("NOTIFY_SOCKET", sock.toString(), "WATCHDOG_USEC", "200000", "WATCHDOG_PID", Long.toString(pid)), pid)) {
        assertThat(n.enabled()).isTrue();
        assertThat(n.watchdogInterval()).hasValueSatisfying(d -> assertThat(d.toMillis()).isEqualTo(200));
        n.ready("serving");
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          got.add(receive(listener));
        }
        assertThat(got.get(0)).startsWith("READY=1\nSTATUS=serving\nMAINPID=" + pid);
        assertThat(got.subList(1, 4)).allMatch(m -> m.equals("WATCHDOG=1"));
        n.stopping("draining");
        String m;
        do {
          m = receive(listener);
        } while (m.equals("WATCHDOG=1"));
        assertThat(m).isEqualTo("STOPPING=1\nSTATUS=draining");
      }
    }
  }

  @Test
  void watchdogStopsWhenTheServiceIsNotAlive() throws Exception {
    Path sock = dir.resolve("notify2");
    try (AFUNIXDatagramSocket listener = AFUNIXDatagramSocket.newInstance()) {
      listener.bind(AFUNIXSocketAddress.of(sock));
      listener.setSoTimeout(1000);
      java.util.concurrent.atomic.AtomicBoolean alive = new java.util.concurrent.atomic.AtomicBoolean(true);
      try (SdNotify n = SdNotify.from(Map.of("NOTIFY_SOCKET", sock.toString(), "WATCHDOG_USEC", "100000"), 1)) {
        n.ready("serving", alive::get);
        assertThat(receive(listener)).startsWith("READY=1");
        assertThat(receive(listener)).isEqualTo("WATCHDOG=1");
        alive.set(false);
        Thread.sleep(120);
        int late = 0; // what was sent before the flag flipped; then silence
        boolean silent = false;
        while (!silent && late < 5) {
          try {
            listener.setSoTimeout(300);
            receive(listener);
            late++;
          } catch (java.net.SocketTimeoutException e) {
            silent = true;
          }
        }
        assertThat(silent).as("no WATCHDOG=1 while the service is not alive").isTrue();
      }
    }
  }

  @Test
  void abstractSocketAndNoSocketAtAll() throws Exception {
    String name = "stk-dm-notify-" + ProcessHandle.current().pid();
    try (AFUNIXDatagramSocket listener = AFUNIXDatagramSocket.newInstance()) {
      listener.bind(AFUNIXSocketAddress.inAbstractNamespace(name));
      listener.setSoTimeout(5000);
      try (SdNotify n = SdNotify.from(Map.of("NOTIFY_SOCKET", "@" + name), 1)) {
        n.status("hello");
        assertThat(receive(listener)).isEqualTo("STATUS=hello");
      }
    }
    try (SdNotify off = SdNotify.from(Map.of(), 1)) {
      assertThat(off.enabled()).isFalse();
      off.ready("nobody listens"); // does nothing, throws nothing
    }
  }
}
