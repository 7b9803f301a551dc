package io.stockade.images;

import java.io.IOException;
import java.nio.file.Path;

/** The store could not write, sync or rename a file (a full disk most often). */
public final class StoreWriteFailed extends ImageException {
  private final Path path;

  StoreWriteFailed(String step, Path path, IOException cause) {
    super("could not " + step + " " + path + ": " + cause.getMessage() + remedy(cause), cause);
    this.path = path;
  }

  public Path path() {
    return path;
  }

  static boolean isDiskFull(Throwable t) {
    for (; t != null; t = t.getCause()) {
      String m = t.getMessage();
      if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) {
        return true;
      }
    }
    return false;
  }

  private static String remedy(IOException cause) {
    return isDiskFull(cause)
        ? " (ENOSPC): free space on the filesystem holding the image store, run `stockade images gc`,"
            + " or move the store to a larger filesystem"
        : ": check the store directory's permissions and filesystem";
  }
}
