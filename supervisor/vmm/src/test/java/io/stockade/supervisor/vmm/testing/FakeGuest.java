package io.stockade.supervisor.vmm.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the fake VMM APIs pretend runs inside: it prints to a console file, keeps "memory" (a
 * key-value map a snapshot saves and a restore brings back) and powers off on request.
 */
public final class FakeGuest {
  private volatile Path console;
  private final String readyLine;
  private final Runnable powerOff;
  public final Map<String, String> memory = new ConcurrentHashMap<>();

  /**
   * @param readyLine what the guest prints when booted ("" prints nothing: a hung boot)
   * @param powerOff makes the fake VMM process exit 0, as a VMM does when its guest powers off
   */
  public FakeGuest(Path console, String readyLine, Runnable powerOff) {
    this.console = console;
    this.readyLine = readyLine;
    this.powerOff = powerOff;
  }

  /** Where the guest's serial output goes (cloud-hypervisor: the file named in its config). */
  public void printTo(Path file) {
    console = file;
  }

  public void boot() {
    print("[    0.000000] Linux version 6.1.0 (fake guest)");
    if (!readyLine.isEmpty()) {
      print(readyLine);
    }
  }

  public void powerButton() {
    print("reboot: Power down");
    powerOff.run();
  }

  public void print(String line) {
    try {
      Files.writeString(console, line + "\r\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The memory image a snapshot writes: one key=value per line. */
  public byte[] saveMemory() {
    StringBuilder b = new StringBuilder();
    memory.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  public void loadMemory(byte[] image) {
    memory.clear();
    for (String l : new String(image, StandardCharsets.UTF_8).split("\n")) {
      int eq = l.indexOf('=');
      if (eq > 0) {
        memory.put(l.substring(0, eq), l.substring(eq + 1));
      }
    }
  }
}
