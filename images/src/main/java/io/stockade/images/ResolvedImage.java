package io.stockade.images;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * An image whose files are present in the store and verified against the catalog's digests.
 *
 * @param name catalog name
 * @param version catalog version
 * @param kernel verified kernel file
 * @param initrd verified initramfs, if the image has one
 * @param rootfs verified root filesystem (raw ext4), if the image has one
 * @param kernelCommandLine the image's own kernel arguments (console, init...)
 * @param vmmKinds the VMM kinds that can boot it: qemu, firecracker, cloud-hypervisor
 * @param readyLine the console line the image's init prints when it is ready
 */
public record ResolvedImage(
    String name,
    String version,
    Path kernel,
    Optional<Path> initrd,
    Optional<Path> rootfs,
    String kernelCommandLine,
    Set<String> vmmKinds,
    String readyLine) {

  public ResolvedImage {
    vmmKinds = Set.copyOf(vmmKinds);
  }
}
