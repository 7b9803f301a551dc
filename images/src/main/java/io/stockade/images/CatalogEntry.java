package io.stockade.images;

import java.util.Optional;
import java.util.Set;

/**
 * One image version in a catalog.
 *
 * @param name image name ([a-z0-9._-])
 * @param version version string; {@code name:version} is unique across all loaded catalogs
 * @param description free text for operators
 * @param kernel the kernel (bzImage)
 * @param initrd initramfs, optional
 * @param rootfs raw ext4 root filesystem, optional; writable disks derive from it
 * @param kernelCommandLine the image's own kernel arguments; drivers append theirs
 * @param vmmKinds VMM kinds that can boot it: qemu, firecracker, cloud-hypervisor
 * @param readyLine the console line the guest prints when ready
 * @param source the catalog file it came from
 */
public record CatalogEntry(
    String name,
    String version,
    String description,
    ImageFile kernel,
    Optional<ImageFile> initrd,
    Optional<ImageFile> rootfs,
    String kernelCommandLine,
    Set<String> vmmKinds,
    String readyLine,
    String source) {

  public CatalogEntry {
    vmmKinds = Set.copyOf(vmmKinds);
  }

  /** {@code name:version}. */
  public String reference() {
    return name + ":" + version;
  }
}
