package io.stockade.supervisor.vmm.support;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Bounds a console log that a VMM appends to itself (QEMU's chardev log does not rotate): when
 * it passes {@code maxBytes} it is copied to {@code <name>.1} and truncated, so at most about twice
 * the limit stays on disk. Safe only for writers that open the log with O_APPEND (QEMU's
 * {@code logappend=on}): their next write lands at the new end, not past a hole. Bytes written
 * between the copy and the truncation are lost; readers that notice the file shrinking start over.
 */
public final class ConsoleRotation {
  private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "stockade-console-rotation");
    t.setDaemon(true);
    return t;
  });

  private ConsoleRotation() {}

  /** Checks {@code log} every {@code period} until {@code until} completes. */
  public static void watch(Path log, long maxBytes, Duration period, CompletableFuture<?> until) {
    if (maxBytes <= 0) {
      return;
    }
    ScheduledFuture<?> task = TIMER.scheduleWithFixedDelay(
        () -> rotateIfLarger(log, maxBytes), period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    until.whenComplete((r, e) -> task.cancel(false));
  }

  /** One check; returns whether it rotated. */
  public static boolean rotateIfLarger(Path log, long maxBytes) {
    try {
      if (Files.size(log) <= maxBytes) {
        return false;
      }
      Files.copy(log, log.resolveSibling(log.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
      try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
        ch.truncate(0);
      }
      return true;
    } catch (NoSuchFileException e) {
      return false; // not written yet, or the jail is gone
    } catch (IOException e) {
      return false; // next period tries again; the log only grows meanwhile
    }
  }
}
