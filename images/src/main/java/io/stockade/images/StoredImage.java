package io.stockade.images;

import java.util.Map;
import java.util.Set;

/**
 * An image the store has pulled (or is pulling).
 *
 * @param name image name
 * @param version image version
 * @param files role (kernel, initrd, rootfs) to SHA-256
 * @param bytes total size of the blobs present
 * @param complete whether every blob is present
 * @param usedBy sandboxes whose disks use one of its blobs
 */
public record StoredImage(
    String name, String version, Map<String, String> files, long bytes, boolean complete, Set<String> usedBy) {
  public StoredImage {
    files = Map.copyOf(files);
    usedBy = Set.copyOf(usedBy);
  }
}
