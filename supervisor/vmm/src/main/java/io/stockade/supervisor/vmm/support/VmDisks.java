package io.stockade.supervisor.vmm.support;

import io.stockade.images.DiskFormat;
import io.stockade.images.ImageException;
import io.stockade.images.ImageResolver;
import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.jail.JailLauncher;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The writable disks a VM driver made, by sandbox, so that a failed launch and {@code cleanup(id)}
 * remove them and give the image back to the resolver.
 */
public final class VmDisks {
  private final JailLauncher jail;
  private final ImageResolver images;
  private final Map<String, Path> disks = new ConcurrentHashMap<>();

  private VmDisks(JailLauncher jail, ImageResolver images) {
    this.jail = jail;
    this.images = images;
  }

  public static VmDisks of(JailLauncher jail, ImageResolver images) {
    return new VmDisks(jail, images);
  }

  /**
   * The sandbox's disk, owned by its uid (a jail without a user namespace opens it as that uid):
   * for a restore, a copy of {@code saved} into the sandbox directory (none when the snapshot has
   * no disk); for a boot, a new one over the image's rootfs in {@code format} (none without a
   * rootfs). Returns null when there is no disk.
   */
  public Path prepare(LaunchSpec spec, ResolvedImage image, DiskFormat format, Optional<Path> saved)
      throws VmmException {
    Path disk;
    if (spec.restoreFrom().isPresent()) {
      if (saved.isEmpty()) {
        return null;
      }
      disk = spec.sandboxDir().resolve(saved.get().getFileName());
      DiskCopy.copy(saved.get(), disk);
    } else if (image.rootfs().isPresent()) {
      try {
        disk = images.createWritableDisk(image, spec.sandboxId(), spec.sandboxDir(), format);
      } catch (ImageException e) {
        throw new VmmException("launch " + spec.sandboxId() + ": writable disk: " + e.getMessage(), e);
      }
    } else {
      return null;
    }
    disks.put(spec.sandboxId(), disk);
    SandboxFiles.giveToSandbox(jail, spec.sandboxId(), disk);
    return disk;
  }

  /** The part of a launch that runs with the disk (null when there is none). */
  public interface WithDisk<V> {
    V launch(Path disk) throws VmmException, IOException;
  }

  /**
   * Creates the sandbox directory and the disk ({@link #prepare}), runs {@code launch}, and removes
   * the disk again when that fails, so that a failed launch leaves no disk behind.
   */
  public <V> V launchWith(LaunchSpec spec, ResolvedImage image, DiskFormat format, Optional<Path> saved,
      WithDisk<V> launch) throws VmmException {
    Path disk = null;
    try {
      Files.createDirectories(spec.sandboxDir());
      disk = prepare(spec, image, format, saved);
      return launch.launch(disk);
    } catch (VmmException e) {
      remove(spec.sandboxId(), disk);
      throw e;
    } catch (IOException e) {
      remove(spec.sandboxId(), disk);
      throw new VmmException("launch " + spec.sandboxId() + ": cannot prepare " + spec.sandboxDir() + ": "
          + e.getMessage(), e);
    }
  }

  /** Records the disk of a reattached VM, so that cleanup(id) after a restart removes it. */
  public void remember(String sandboxId, Path disk) {
    if (disk != null) {
      disks.put(sandboxId, disk);
    }
  }

  /** Undoes {@link #prepare} after a failed launch; nothing when {@code disk} is null. */
  public void remove(String sandboxId, Path disk) {
    if (disk != null) {
      SandboxFiles.deleteQuietly(disk);
      disks.remove(sandboxId, disk);
      images.release(sandboxId);
    }
  }

  /** A driver's cleanup(id): the jail, the disk, the image; idempotent. Returns the disk it removed. */
  public Optional<Path> cleanup(String sandboxId) {
    jail.cleanup(sandboxId);
    Path disk = disks.remove(sandboxId);
    if (disk != null) {
      SandboxFiles.deleteQuietly(disk);
    }
    images.release(sandboxId);
    return Optional.ofNullable(disk);
  }
}
