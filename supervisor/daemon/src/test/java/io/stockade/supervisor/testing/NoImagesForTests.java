package io.stockade.supervisor.testing;

import io.stockade.images.DiskFormat;
import io.stockade.images.DownloadProgress;
import io.stockade.images.ImageException;
import io.stockade.images.ImageResolver;
import io.stockade.images.ResolvedImage;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Process-kind tests need no images; this refuses every resolve and records releases. */
public final class NoImagesForTests implements ImageResolver {
  public final Set<String> released = ConcurrentHashMap.newKeySet();

  @Override
  public ResolvedImage resolve(String reference, DownloadProgress progress) throws ImageException {
    throw new ImageException("no images in this test: " + reference);
  }

  @Override
  public Path createWritableDisk(ResolvedImage image, String sandboxId, Path directory, DiskFormat format)
      throws ImageException {
    throw new ImageException("no images in this test");
  }

  @Override
  public void release(String sandboxId) {
    released.add(sandboxId);
  }
}
