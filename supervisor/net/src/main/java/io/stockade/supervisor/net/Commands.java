package io.stockade.supervisor.net;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteWatchdog;
import org.apache.commons.exec.PumpStreamHandler;

/**
 * Runs {@code ip}, {@code nft}, {@code conntrack} and {@code sysctl}, optionally inside a network
 * namespace (through {@code nsenter --net=PATH}, which joins only the network namespace and so,
 * unlike {@code ip netns exec}, costs no mount-namespace setup). Arguments are passed as an argv
 * array, never through a shell.
 */
final class Commands {
  private final NetConfig config;

  Commands(NetConfig config) {
    this.config = config;
  }

  /** Output of a finished command. */
  record Result(int exitCode, String stdout, String stderr) {}

  String ip(Optional<Path> netns, String step, String stdin, String... args)
      throws NetworkException {
    return checked(step, netns, config.ip(), stdin, args);
  }

  String nft(Optional<Path> netns, String step, String stdin, String... args)
      throws NetworkException {
    return checked(step, netns, config.nft(), stdin, args);
  }

  String conntrack(Optional<Path> netns, String step, String... args) throws NetworkException {
    return checked(step, netns, config.conntrack(), null, args);
  }

  String sysctl(Path netns, String step, String... settings) throws NetworkException {
    String[] args = new String[settings.length + 2];
    args[0] = "-q";
    args[1] = "-w";
    System.arraycopy(settings, 0, args, 2, settings.length);
    return checked(step, Optional.of(netns), Path.of("/usr/sbin/sysctl"), null, args);
  }

  private String checked(String step, Optional<Path> netns, Path binary, String stdin, String[] args)
      throws NetworkException {
    Result r = run(netns, binary, stdin, args);
    if (r.exitCode != 0) {
      throw new NetworkException(
          step,
          step + ": `" + binary + " " + String.join(" ", args) + "`"
              + netns.map(n -> " in namespace " + n).orElse("")
              + " exited with " + r.exitCode + ": " + r.stderr.strip()
              + (stdin == null ? "" : " (input: " + abbreviate(stdin) + ")"));
    }
    return r.stdout;
  }

  /** Runs a command and returns its exit code and output; throws only when it cannot run. */
  Result run(Optional<Path> netns, Path binary, String stdin, String... args)
      throws NetworkException {
    List<String> argv = new ArrayList<>();
    netns.ifPresent(n -> {
      argv.add(config.nsenter().toString());
      argv.add("--net=" + n);
      argv.add("--");
    });
    argv.add(binary.toString());
    argv.addAll(List.of(args));
    CommandLine line = new CommandLine(argv.get(0));
    for (String a : argv.subList(1, argv.size())) {
      line.addArgument(a, false);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Duration timeout = config.commandTimeout();
    ExecuteWatchdog watchdog = ExecuteWatchdog.builder().setTimeout(timeout).get();
    DefaultExecutor executor = DefaultExecutor.builder().get();
    executor.setExitValues(null);
    executor.setWatchdog(watchdog);
    executor.setStreamHandler(new PumpStreamHandler(out, err,
        stdin == null ? null : new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8))));
    int code;
    try {
      code = executor.execute(line);
    } catch (IOException e) {
      throw new NetworkException("run " + binary,
          "cannot run " + String.join(" ", argv) + ": " + e.getMessage()
              + ": check that the binary exists (configure its path in NetConfig)", e);
    }
    if (watchdog.killedProcess()) {
      throw new NetworkException("run " + binary,
          String.join(" ", argv) + " did not finish within " + timeout.toMillis()
              + " ms and was killed: the host may be overloaded, or the kernel stuck on the"
              + " namespace; raise NetConfig.commandTimeout if this persists");
    }
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static String abbreviate(String s) {
    return s.length() <= 600 ? s : s.substring(0, 600) + "...";
  }
}
