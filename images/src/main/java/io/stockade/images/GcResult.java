package io.stockade.images;

import java.util.List;

/**
 * What a garbage collection removed.
 *
 * @param removedBlobs digests of the blobs deleted
 * @param bytesFreed their total size
 * @param partialsRemoved abandoned partial downloads deleted
 */
public record GcResult(List<String> removedBlobs, long bytesFreed, int partialsRemoved) {
  public GcResult {
    removedBlobs = List.copyOf(removedBlobs);
  }
}
