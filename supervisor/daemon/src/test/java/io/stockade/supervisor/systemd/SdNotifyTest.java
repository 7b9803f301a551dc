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
