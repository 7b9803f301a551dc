package io.stockade.images;

import java.nio.file.Path;

/** A sandbox's writable disk could not be created. */
public final class DiskCreateFailed extends ImageException {
  private final Path path;

  DiskCreateFailed(Path path, String problem) {
    super("could not create writable disk " + path + ": " + problem);
    this.path = path;
  }

  DiskCreateFailed(Path path, String problem, Throwable cause) {
    super("could not create writable disk " + path + ": " + problem, cause);
    this.path = path;
  }

  public Path path() {
    return path;
  }
}
