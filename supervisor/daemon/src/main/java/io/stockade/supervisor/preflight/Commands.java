package io.stockade.supervisor.preflight;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Optional;
import java.util.List;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteException;
import org.apache.commons.exec.ExecuteWatchdog;
import org.apache.commons.exec.PumpStreamHandler;

/**
 * Short read-only helper commands (nft, --version) with a timeout and captured output. The
 * watchdog kills only the direct child, which is enough here: none of these commands fork.
 */
final class Commands {
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  /**
   * @param exitCode the exit status, or -1 when the command did not start
   * @param output stdout and stderr, interleaved
   * @param timedOut the watchdog killed it
   * @param startError why it did not start (e.g. "No such file or directory"), empty if it ran
   */
  record Result(int exitCode, String output, boolean timedOut, String startError) {
    boolean ok() {
      return exitCode == 0 && !timedOut && startError.isEmpty();
    }

    String firstLine() {
      return output.lines().findFirst().orElse("").trim();
    }

    /** A one-line account of what went wrong, for "found". */
    String describeFailure() {
      if (!startError.isEmpty()) {
        return "did not start: " + startError;
      }
      if (timedOut) {
        return "timed out";
      }
      String last = output.lines().reduce((a, b) -> b).orElse("").trim();
      return "exit " + exitCode + (last.isEmpty() ? "" : ": " + last);
    }
  }

  private Commands() {}

  static Result run(Duration timeout, List<String> argv) {
    CommandLine cmd = new CommandLine(argv.get(0));
    for (String arg : argv.subList(1, argv.size())) {
      cmd.addArgument(arg, false);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ExecuteWatchdog watchdog = ExecuteWatchdog.builder().setTimeout(timeout).get();
    DefaultExecutor executor =
        DefaultExecutor.builder().setExecuteStreamHandler(new PumpStreamHandler(out)).get();
    executor.setWatchdog(watchdog);
    executor.setExitValues(null);
    try {
      int exit = executor.execute(cmd);
      return new Result(exit, text(out), watchdog.killedProcess(), "");
    } catch (ExecuteException e) {
      return new Result(e.getExitValue(), text(out), watchdog.killedProcess(), "");
    } catch (IOException e) {
      return new Result(-1, text(out), false, String.valueOf(e.getMessage()));
    }
  }

  /** Runs argv inside the network namespace at netns (a /run/netns file), or here if empty. */
  static Result runInNetns(Optional<Path> netns, List<String> argv) {
    if (netns.isEmpty()) {
      return run(DEFAULT_TIMEOUT, argv);
    }
    List<String> wrapped = new ArrayList<>();
    wrapped.add("nsenter");
    wrapped.add("--net=" + netns.get());
    wrapped.add("--");
    wrapped.addAll(argv);
    return run(DEFAULT_TIMEOUT, wrapped);
  }

  private static String text(ByteArrayOutputStream out) {
    return out.toString(StandardCharsets.UTF_8);
  }
}
