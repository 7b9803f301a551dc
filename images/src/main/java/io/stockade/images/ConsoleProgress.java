package io.stockade.images;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Renders download progress for people: on a terminal a redrawn bar with rate and ETA, at most
 * ten times a second; elsewhere (logs, CI) one line every {@code interval} and one at the end.
 * For the CLI and the daemon's pull command.
 */
public final class ConsoleProgress implements DownloadProgress {
  private static final int BAR = 30;

  private final PrintStream out;
  private final boolean terminal;
  private final long intervalNanos;
  private String file;
  private long startNanos;
  private long startBytes;
  private long lastPrint;

  private ConsoleProgress(PrintStream out, boolean terminal, long intervalNanos) {
    this.out = out;
    this.terminal = terminal;
    this.intervalNanos = intervalNanos;
  }

  /** To standard error, as a bar when the process has a console. */
  public static ConsoleProgress stderr() {
    return new ConsoleProgress(System.err, System.console() != null, 5_000_000_000L);
  }

  /** To {@code out}: a bar if {@code terminal}, else a line every {@code intervalSeconds}. */
  public static ConsoleProgress to(PrintStream out, boolean terminal, int intervalSeconds) {
    return new ConsoleProgress(out, terminal, intervalSeconds * 1_000_000_000L);
  }

  @Override
  public synchronized void update(String file, long bytesDone, long bytesTotal) {
    long now = System.nanoTime();
    if (!file.equals(this.file)) {
      this.file = file;
      this.startNanos = now;
      this.startBytes = bytesDone;
      this.lastPrint = 0;
    }
    boolean done = bytesTotal > 0 && bytesDone >= bytesTotal;
    long every = terminal ? 100_000_000L : intervalNanos;
    if (!done && lastPrint != 0 && now - lastPrint < every) {
      return;
    }
    lastPrint = now;
    String line = render(file, bytesDone, bytesTotal, now);
    if (terminal) {
      out.print("\r" + line + (done ? "\n" : ""));
    } else {
      out.println(line);
    }
    out.flush();
  }

  String render(String name, long done, long total, long now) {
    double secs = Math.max((now - startNanos) / 1e9, 1e-3);
    double rate = (done - startBytes) / secs;
    StringBuilder sb = new StringBuilder(name).append(' ');
    if (total > 0) {
      int filled = (int) (BAR * Math.min(1.0, (double) done / total));
      if (terminal) {
        sb.append('[').append("#".repeat(filled)).append("-".repeat(BAR - filled)).append("] ");
      }
      sb.append(String.format(Locale.ROOT, "%3d%% ", done * 100 / total));
    }
    sb.append(mib(done)).append(total > 0 ? " / " + mib(total) : "");
    sb.append(String.format(Locale.ROOT, "  %.1f MiB/s", rate / 1048576));
    if (total > 0 && done < total && rate > 0) {
      long eta = (long) ((total - done) / rate);
      sb.append(String.format(Locale.ROOT, "  ETA %d:%02d", eta / 60, eta % 60));
    }
    return sb.toString();
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }
}
