package io.stockade.supervisor.preflight;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Boots one throw-away guest and waits for its readiness line. The QEMU process is our direct
 * child and is SIGKILLed in finally, whatever happened: a guest that hangs under KVM spins a host
 * CPU for as long as it lives.
 */
final class GuestBoot {
  /**
   * @param ready the readiness line appeared
   * @param timedOut the timeout passed first (QEMU was killed)
   * @param exitCode QEMU's exit status when it exited by itself before ready, else -1
   * @param elapsed from start to ready / timeout / exit
   * @param lastConsoleLine the last non-empty line the guest printed
   * @param lastQemuMessage the last line QEMU itself printed ("qemu-system-x86_64: ...")
   */
  record Result(
      boolean ready,
      boolean timedOut,
      int exitCode,
      Duration elapsed,
      String lastConsoleLine,
      String lastQemuMessage) {}

  private GuestBoot() {}

  static Result boot(List<String> argv, String readyLine, Duration timeout) {
    long start = System.nanoTime();
    Process process;
    try {
      process =
          new ProcessBuilder(argv)
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
    } catch (IOException e) {
      return new Result(false, false, -1, Duration.ZERO, "", "did not start: " + e.getMessage());
    }
    CountDownLatch readyOrEof = new CountDownLatch(1);
    AtomicReference<String> lastConsole = new AtomicReference<>("");
    AtomicReference<String> lastQemu = new AtomicReference<>("");
    AtomicReference<Boolean> sawReady = new AtomicReference<>(false);
    String qemuPrefix = new File(argv.get(0)).getName() + ":";
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  String clean = line.replace("\r", "").strip();
                  if (clean.isEmpty()) {
                    continue;
                  }
                  if (clean.startsWith(qemuPrefix)) {
                    lastQemu.set(clean);
                  } else {
                    lastConsole.set(clean);
                  }
                  if (clean.contains(readyLine)) {
                    sawReady.set(true);
                    readyOrEof.countDown();
                  }
                }
              } catch (IOException e) {
                // The stream closes under us when the process is killed: that is the end.
              } finally {
                readyOrEof.countDown();
              }
            },
            "stockade-boot-probe-console");
    reader.setDaemon(true);
    reader.start();
    boolean finished = false;
    try {
      finished = readyOrEof.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      process.destroyForcibly();
      try {
        process.waitFor(5, TimeUnit.SECONDS);
        reader.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    boolean ready = sawReady.get();
    int exit = (!ready && finished && !process.isAlive()) ? process.exitValue() : -1;
    return new Result(ready, !finished, exit, elapsed, lastConsole.get(), lastQemu.get());
  }
}
