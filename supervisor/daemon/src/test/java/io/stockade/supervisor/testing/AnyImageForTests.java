package io.stockade.supervisor.testing;

import io.stockade.images.DiskFormat;
import io.stockade.images.DownloadProgress;
import io.stockade.images.ImageResolver;
import io.stockade.images.ResolvedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Resolves every name to files that are never read: for VM-kind tests whose "VMM" is the fake
 * driver running a command. Records the names asked for.
 */
public final class AnyImageForTests implements ImageResolver {
  public final List<String> asked = new CopyOnWriteArrayList<>();
  private final Set<String> vmmKinds;

  public AnyImageForTests(String... vmmKinds) {
    this.vmmKinds = Set.of(vmmKinds);
  }

  @Override
  public ResolvedImage resolve(String reference, DownloadProgress progress) {
    asked.add(reference);
    return new ResolvedImage(reference, "1", Path.of("/dev/null"), Optional.empty(), Optional.empty(), "", vmmKinds, "READY");
  }

  @Override
  public Path createWritableDisk(ResolvedImage image, String sandboxId, Path directory, DiskFormat format) {
    throw new UnsupportedOperationException("no disks in this test");
  }

  @Override
  public void release(String sandboxId) {}
}
