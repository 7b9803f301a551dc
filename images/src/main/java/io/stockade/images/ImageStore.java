package io.stockade.images;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A content-addressed image store (layout in {@link StoreLayout}): resolves catalog references
 * to verified local files, downloading what is missing, and derives per-sandbox writable disks.
 * Safe for concurrent use by threads and by several processes sharing the directory.
 */
public final class ImageStore implements ImageResolver, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ImageStore.class);

  static {
    // java.net.http reads responses in 16 KiB buffers by default; 256 KiB roughly doubles its
    // loopback throughput (docs/images.md has the figures). The JDK reads this property once,
    // when its HTTP client first loads, so an operator's own -D setting wins.
    if (System.getProperty("jdk.httpclient.bufsize") == null) {
      System.setProperty("jdk.httpclient.bufsize", Integer.toString(256 * 1024));
    }
  }

  private final StoreLayout layout;
  private final Catalog catalog;
  private final StoreLock storeLock;
  private final StoreRecords records;
  private final BlobFetcher fetcher;
  private final WritableDisks disks;
  private final ScheduledExecutorService watchdog;

  private ImageStore(StoreLayout layout, Catalog catalog, StoreOptions options) {
    this.layout = layout;
    this.catalog = catalog;
    this.storeLock = StoreLock.forFile(layout.storeLock);
    this.records = new StoreRecords(layout);
    this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "stockade-images-watchdog");
      t.setDaemon(true);
      return t;
    });
    HttpClient http = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NORMAL) // never https -> http
        .connectTimeout(options.connectTimeout())
        .build();
    this.fetcher = new BlobFetcher(layout, new Transfer(http, options, watchdog), options);
    this.disks = new WritableDisks(options);
  }

  /** Opens (creating if needed) the store in {@code root} with default options. */
  public static ImageStore open(Path root, Catalog catalog) throws ImageException {
    return open(root, catalog, StoreOptions.defaults());
  }

  public static ImageStore open(Path root, Catalog catalog, StoreOptions options) throws ImageException {
    return new ImageStore(StoreLayout.create(root), catalog, options);
  }

  public Catalog catalog() {
    return catalog;
  }

  public Path root() {
    return layout.root;
  }

  @SuppressWarnings("try") // the lock is held for the block, never referenced
  @Override
  public ResolvedImage resolve(String reference, DownloadProgress progress) throws ImageException {
    CatalogEntry e = catalog.find(reference);
    // The record goes first: from now on GC keeps these digests, even half-downloaded.
    try (StoreLock.Held held = storeLock.shared()) {
      records.writeImage(e);
    }
    Path kernel = fetcher.ensure(e.reference() + " kernel", e.kernel(), progress);
    Optional<Path> initrd = Optional.empty();
    if (e.initrd().isPresent()) {
      initrd = Optional.of(fetcher.ensure(e.reference() + " initrd", e.initrd().get(), progress));
    }
    Optional<Path> rootfs = Optional.empty();
    if (e.rootfs().isPresent()) {
      rootfs = Optional.of(fetcher.ensure(e.reference() + " rootfs", e.rootfs().get(), progress));
    }
    return new ResolvedImage(e.name(), e.version(), kernel, initrd, rootfs, e.kernelCommandLine(),
        e.vmmKinds(), e.readyLine());
  }

  /** Same as {@link #resolve}; the name operators know from their tools. */
  public ResolvedImage pull(String reference, DownloadProgress progress) throws ImageException {
    return resolve(reference, progress);
  }

  /**
   * Installs a file obtained out of band (air-gapped hosts) as the blob {@code expectedSha256},
   * after checking its digest; returns the blob's path. A later resolve then finds it present.
   */
  public Path importFile(Path file, String expectedSha256) throws ImageException {
    Names.requireSha256(expectedSha256);
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      throw new ImageException("cannot read " + file + ": " + e.getMessage(), e);
    }
    ImageFile f = new ImageFile(List.of(file.toAbsolutePath().toUri()), size, expectedSha256);
    if (Files.isRegularFile(layout.blob(expectedSha256))) {
      // Present already: still check the file, so that a wrong file never "imports" fine.
      String actual = sha256Of(file);
      if (!actual.equals(expectedSha256)) {
        throw new DigestMismatch(file.toString(), expectedSha256, actual, size);
      }
      return layout.blob(expectedSha256);
    }
    try {
      return fetcher.ensure("import of " + file, f, DownloadProgress.NONE);
    } catch (DownloadFailed e) {
      if (e.getCause() instanceof DigestMismatch m) {
        throw new DigestMismatch(file.toString(), m.expected(), m.actual(), size);
      }
      throw e;
    }
  }

  @SuppressWarnings("try") // the lock is held for the block, never referenced
  @Override
  public Path createDataDisk(Path file, long sizeMiB) throws ImageException {
    return disks.createEmpty(file, sizeMiB);
  }

  @Override
  public Path createWritableDisk(ResolvedImage image, String sandboxId, Path directory, DiskFormat format)
      throws ImageException {
    Names.requireSandboxId(sandboxId);
    Path rootfs = image.rootfs().orElseThrow(() -> new DiskCreateFailed(directory,
        "image " + image.name() + ":" + image.version() + " has no root filesystem"));
    List<String> used = new ArrayList<>();
    used.add(blobDigest(rootfs));
    used.add(blobDigest(image.kernel()));
    if (image.initrd().isPresent()) {
      used.add(blobDigest(image.initrd().get()));
    }
    try (StoreLock.Held held = storeLock.shared()) {
      records.addUsage(sandboxId, used);
      if (!Files.isRegularFile(rootfs)) {
        throw new DiskCreateFailed(directory, rootfs + " is gone from the store: resolve the image again");
      }
    }
    long start = System.nanoTime();
    Path disk = disks.create(rootfs, directory, format);
    log.info("writable {} disk {} for sandbox {} from {} in {} ms", format, disk, sandboxId,
        rootfs.getFileName(), (System.nanoTime() - start) / 1_000_000);
    return disk;
  }

  @SuppressWarnings("try") // the lock is held for the block, never referenced
  @Override
  public void release(String sandboxId) {
    try {
      Names.requireSandboxId(sandboxId);
      try (StoreLock.Held held = storeLock.shared()) {
        records.dropUsage(sandboxId);
      }
    } catch (ImageException | IOException e) {
      log.warn("could not drop the usage record of sandbox {}: {}", sandboxId, e.getMessage());
    }
  }

  /** Images pulled into this store, with what they use and who uses them. */
  public List<StoredImage> list() throws ImageException {
    Map<String, List<String>> usage = records.usage();
    List<StoredImage> out = new ArrayList<>();
    for (StoreRecords.ImageRecord r : records.images()) {
      long bytes = 0;
      boolean complete = true;
      Set<String> users = new HashSet<>();
      for (String hex : r.files().values()) {
        Path b = layout.blob(hex);
        if (Files.isRegularFile(b)) {
          bytes += sizeOf(b);
        } else {
          complete = false;
        }
        usage.forEach((sandbox, blobs) -> {
          if (blobs.contains(hex)) {
            users.add(sandbox);
          }
        });
      }
      out.add(new StoredImage(r.name(), r.version(), r.files(), bytes, complete, users));
    }
    return out;
  }

  /**
   * Forgets {@code name:version} (or every version of {@code name}) and deletes the blobs no
   * other image and no sandbox still uses; blobs in use stay until GC after their release.
   */
  @SuppressWarnings("try") // the lock is held for the block, never referenced
  public GcResult remove(String reference) throws ImageException {
    String[] parts = Names.parseReference(reference);
    try (StoreLock.Held held = storeLock.exclusive()) {
      boolean found = false;
      for (StoreRecords.ImageRecord r : records.images()) {
        if (r.name().equals(parts[0]) && (parts[1] == null || r.version().equals(parts[1]))) {
          Path p = records.imagePath(r.name(), r.version());
          try {
            Files.delete(p);
            StoreLayout.fsyncDirectory(p.getParent());
          } catch (IOException e) {
            throw new StoreWriteFailed("delete", p, e);
          }
          found = true;
        }
      }
      if (!found) {
        throw ImageNotFound.inStore(reference, layout.root,
            records.images().stream().map(r -> r.name() + ":" + r.version()).toList());
      }
      return collect();
    }
  }

  /** Deletes blobs no pulled image and no sandbox uses, and abandoned partial downloads. */
  @SuppressWarnings("try") // the lock is held for the block, never referenced
  public GcResult gc() throws ImageException {
    try (StoreLock.Held held = storeLock.exclusive()) {
      return collect();
    }
  }

  private GcResult collect() throws ImageException {
    Set<String> keep = new HashSet<>();
    records.images().forEach(r -> keep.addAll(r.files().values()));
    records.usage().values().forEach(keep::addAll);
    GarbageCollector gc = new GarbageCollector(layout, keep, fetcher::isFetching);
    return gc.run();
  }

  private String blobDigest(Path p) throws ImageException {
    Path abs = p.toAbsolutePath().normalize();
    String hex = abs.getFileName().toString();
    if (!abs.getParent().equals(layout.blobs) || !Names.isSha256(hex)) {
      throw new ReferenceInvalid("image file", p.toString(),
          "writable disks derive only from files of this store (" + layout.blobs + ")");
    }
    return hex;
  }

  private static String sha256Of(Path file) throws ImageException {
    java.security.MessageDigest d = PartialFile.sha256();
    byte[] buf = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        d.update(buf, 0, n);
      }
    } catch (IOException e) {
      throw new ImageException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return java.util.HexFormat.of().formatHex(d.digest());
  }

  static long sizeOf(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return 0;
    }
  }

  @Override
  public void close() {
    watchdog.shutdownNow();
  }
}
