package io.stockade.supervisor.vmm.support;

import io.stockade.supervisor.vmm.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Future;

/** Waits for a VMM's HTTP API socket to answer. */
public final class ApiSocket {
  private ApiSocket() {}

  /**
   * Polls {@code GET probePath} until it answers 2xx, the VMM exits, or {@code wait} passes. A
   * socket file alone proves nothing: a dead VMM leaves its socket behind.
   */
  public static UnixHttpClient.Response await(
      UnixHttpClient http, String probePath, Future<?> exit, Duration wait, String vmm) throws VmmException {
    long deadline = System.nanoTime() + wait.toNanos();
    String last = "no socket at " + http.socket();
    while (System.nanoTime() < deadline) {
      if (exit.isDone()) {
        throw new VmmException(vmm + " exited before its API at " + http.socket() + " answered");
      }
      if (Files.exists(http.socket())) {
        try {
          UnixHttpClient.Response r = http.send("GET", probePath, null);
          if (r.ok()) {
            return r;
          }
          last = "GET " + probePath + " answered " + r.status() + " " + r.body();
        } catch (IOException e) {
          last = e.getMessage();
        }
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new VmmException("interrupted while waiting for " + vmm + "'s API", e);
      }
    }
    throw new VmmException(vmm + "'s API did not answer within " + wait + ": " + last);
  }

  /** Creates an empty file the jailed VMM (uid/gid) may write, e.g. its log. */
  public static void createOwnedFile(Path file, int uid, int gid) throws VmmException {
    try {
      Files.deleteIfExists(file);
      Files.createFile(file);
      Files.setAttribute(file, "unix:uid", uid);
      Files.setAttribute(file, "unix:gid", gid);
    } catch (IOException | UnsupportedOperationException e) {
      throw new VmmException("cannot create " + file + " for the VMM (uid " + uid + "): " + e.getMessage(), e);
    }
  }
}
