package io.stockade.supervisor.vmm.support;

import io.stockade.supervisor.net.SandboxNetwork;
import io.stockade.supervisor.vmm.VmmException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The guest kernel's command line: the image's own arguments, the TSC rate, the network's
 * {@code ip=} and the workload command for the image's init as {@code stockade.cmd=<base64>}
 * (base64 of a POSIX shell command line: the init runs it with sh).
 */
public final class GuestCommandLine {
  /** x86's COMMAND_LINE_SIZE, terminating NUL included. */
  public static final int MAX_LENGTH = 2047;

  private GuestCommandLine() {}

  public static String build(
      String imageArguments, long tscKhz, Optional<SandboxNetwork> network, List<String> command)
      throws VmmException {
    StringBuilder b = new StringBuilder(imageArguments.trim());
    if (tscKhz > 0) {
      b.append(" tsc_early_khz=").append(tscKhz);
    }
    network.ifPresent(n -> b.append(' ').append(n.kernelIpArgument()));
    if (!command.isEmpty()) {
      String script = shellQuote(command);
      b.append(" stockade.cmd=")
          .append(Base64.getEncoder().encodeToString(script.getBytes(StandardCharsets.UTF_8)));
    }
    String line = b.toString().trim();
    if (line.length() > MAX_LENGTH) {
      throw new VmmException(
          "guest kernel command line is " + line.length() + " bytes, the kernel accepts " + MAX_LENGTH
              + ": shorten the command (put long scripts on the disk instead)");
    }
    return line;
  }

  /** Joins argv into one sh command line, single-quoting every word that needs it. */
  public static String shellQuote(List<String> argv) {
    StringBuilder b = new StringBuilder();
    for (String a : argv) {
      if (b.length() > 0) {
        b.append(' ');
      }
      if (!a.isEmpty() && a.matches("[A-Za-z0-9_@%+=:,./-]+")) {
        b.append(a);
      } else {
        b.append('\'').append(a.replace("'", "'\\''")).append('\'');
      }
    }
    return b.toString();
  }
}
