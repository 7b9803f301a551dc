package io.stockade.images;

import java.nio.file.Path;
import java.util.List;

/** A second process for cross-process tests: pulls one image into a store and prints its kernel. */
public final class PullMain {
  private PullMain() {}

  public static void main(String[] args) throws Exception {
    Catalog catalog = Catalog.load(List.of(Path.of(args[1])));
    try (ImageStore store = ImageStore.open(Path.of(args[0]), catalog)) {
      System.out.println("KERNEL " + store.resolve(args[2], DownloadProgress.NONE).kernel());
    }
  }
}
