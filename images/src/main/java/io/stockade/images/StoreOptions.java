package io.stockade.images;

import java.time.Duration;

/**
 * Tunables of an {@link ImageStore}; {@link #defaults()} suits production.
 *
 * @param connectTimeout TCP/TLS connect timeout per attempt
 * @param stallTimeout an attempt fails when no byte arrives for this long (also bounds the wait
 *     for response headers)
 * @param attemptsPerMirror tries per URL for failures that may pass (drops, 5xx, stalls); each
 *     try resumes from the bytes already received
 * @param retryDelay pause before a retry, multiplied by the attempt number
 * @param qemuImg the qemu-img program that creates qcow2 overlays
 * @param commandTimeout limit for qemu-img and cp
 * @param rawSparseCopyFallback for RAW disks on filesystems without reflinks, make a sparse
 *     copy (reads the whole image; off by default because it is a full copy in time)
 */
public record StoreOptions(
    Duration connectTimeout,
    Duration stallTimeout,
    int attemptsPerMirror,
    Duration retryDelay,
    String qemuImg,
    Duration commandTimeout,
    boolean rawSparseCopyFallback) {

  public StoreOptions {
    if (attemptsPerMirror < 1) {
      throw new IllegalArgumentException("attemptsPerMirror must be at least 1");
    }
  }

  public static StoreOptions defaults() {
    return new StoreOptions(Duration.ofSeconds(10), Duration.ofSeconds(30), 3,
        Duration.ofMillis(500), "qemu-img", Duration.ofSeconds(30), false);
  }

  public StoreOptions withStallTimeout(Duration d) {
    return new StoreOptions(connectTimeout, d, attemptsPerMirror, retryDelay, qemuImg, commandTimeout, rawSparseCopyFallback);
  }

  public StoreOptions withRetries(int attempts, Duration delay) {
    return new StoreOptions(connectTimeout, stallTimeout, attempts, delay, qemuImg, commandTimeout, rawSparseCopyFallback);
  }

  public StoreOptions withRawSparseCopyFallback(boolean on) {
    return new StoreOptions(connectTimeout, stallTimeout, attemptsPerMirror, retryDelay, qemuImg, commandTimeout, on);
  }
}
