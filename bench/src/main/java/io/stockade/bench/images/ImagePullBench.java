package io.stockade.bench.images;

import io.stockade.images.Catalog;
import io.stockade.images.DiskFormat;
import io.stockade.images.DownloadProgress;
import io.stockade.images.ImageException;
import io.stockade.images.ImageStore;
import io.stockade.images.ResolvedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Pulls a 1 GiB image file from a local HTTP server (busybox httpd on 127.0.0.1, a separate
 * process using sendfile) into a fresh store with SHA-256 on, next to `curl -o` of the same
 * file in the same run; then times writable-disk creation from that 1 GiB image (20 qcow2
 * overlays) and shows what an overlay occupies.
 *
 * <p>scripts/bench io.stockade.bench.images.ImagePullBench [SIZE_MIB] [ROUNDS]
 */
public final class ImagePullBench {
  private ImagePullBench() {}

  public static void main(String[] args) throws Exception {
    int sizeMib = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Path work = Files.createTempDirectory("stk-im-bench-");
    Process httpd = null;
    try {
      Path served = Files.createDirectories(work.resolve("www"));
      Path image = served.resolve("rootfs.img");
      String sha = writeImage(image, sizeMib);
      int port = freePort();
      httpd = new ProcessBuilder("busybox", "httpd", "-f", "-p", "127.0.0.1:" + port, "-h", served.toString())
          .redirectErrorStream(true).start();
      awaitPort(port);
      String url = "http://127.0.0.1:" + port + "/rootfs.img";
      Path catalogFile = work.resolve("catalog.json");
      Files.writeString(catalogFile, "{\"catalogVersion\": 1, \"images\": [{\"name\": \"bench\", \"version\": \"1\","
          + " \"kernel\": {\"urls\": [\"" + url + "\"], \"size\": " + Files.size(image) + ", \"sha256\": \"" + sha + "\"},"
          + " \"rootfs\": {\"urls\": [\"" + url + "\"], \"size\": " + Files.size(image) + ", \"sha256\": \"" + sha + "\"},"
          + " \"kernelCommandLine\": \"\", \"vmmKinds\": [\"qemu\"], \"readyLine\": \"READY\"}]}");
      Catalog catalog = Catalog.load(List.of(catalogFile));

      System.out.printf(Locale.ROOT, "image: %d MiB served by busybox httpd on 127.0.0.1; %d rounds%n", sizeMib, rounds);
      List<Double> curl = new ArrayList<>();
      List<Double> store = new ArrayList<>();
      ResolvedImage last = null;
      for (int r = 0; r < rounds; r++) {
        Path out = work.resolve("curl.out");
        Path cpu = work.resolve("curl.cpu");
        long t0 = System.nanoTime();
        // /usr/bin/time reports curl's CPU seconds: under load, CPU per byte decides the rate.
        int rc = new ProcessBuilder("/usr/bin/time", "-o", cpu.toString(), "-f", "%U %S",
            "curl", "-sS", "-o", out.toString(), url).inheritIO().start().waitFor();
        double curlSecs = (System.nanoTime() - t0) / 1e9;
        if (rc != 0) {
          throw new IOException("curl exited " + rc);
        }
        Files.delete(out);
        curl.add(sizeMib / curlSecs);
        double curlCpu = Stream.of(Files.readString(cpu).trim().split("\\s+")).mapToDouble(Double::parseDouble).sum();

        Path storeDir = work.resolve("store-" + r);
        double storeCpu;
        try (ImageStore s = ImageStore.open(storeDir, catalog)) {
          long c1 = processCpuNanos();
          long t1 = System.nanoTime();
          last = s.resolve("bench", DownloadProgress.NONE); // kernel and rootfs share one blob
          double secs = (System.nanoTime() - t1) / 1e9;
          storeCpu = (processCpuNanos() - c1) / 1e9;
          store.add(sizeMib / secs);
        }
        if (r < rounds - 1) {
          deleteTree(storeDir);
        }
        double gib = sizeMib / 1024.0;
        System.out.printf(Locale.ROOT, "round %d: curl -o %.0f MiB/s (%.2f CPU s/GiB), ImageStore (SHA-256, fsync)"
            + " %.0f MiB/s (%.2f CPU s/GiB, whole JVM), ratio %.2fx; load %.1f%n", r + 1, curl.get(r), curlCpu / gib,
            store.get(r), storeCpu / gib, store.get(r) / curl.get(r),
            java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
      }
      double curlMed = median(curl);
      double storeMed = median(store);
      System.out.printf(Locale.ROOT, "pull median: curl %.0f MiB/s, ImageStore %.0f MiB/s, ratio %.2fx (target >= 0.9x)%n",
          curlMed, storeMed, storeMed / curlMed);

      disks(work, catalog, last);
    } finally {
      if (httpd != null) {
        httpd.destroy();
        httpd.waitFor();
      }
      deleteTree(work);
    }
  }

  private static void disks(Path work, Catalog catalog, ResolvedImage image) throws ImageException, IOException,
      InterruptedException {
    Path storeDir = image.rootfs().orElseThrow().getParent().getParent().getParent();
    List<Double> millis = new ArrayList<>();
    Path lastDisk = null;
    try (ImageStore s = ImageStore.open(storeDir, catalog)) {
      for (int i = 0; i < 21; i++) {
        Path dir = work.resolve("sandbox-" + i);
        long t0 = System.nanoTime();
        lastDisk = s.createWritableDisk(image, "stk-im-bench-" + i, dir, DiskFormat.QCOW2);
        double ms = (System.nanoTime() - t0) / 1e6;
        if (i > 0) { // the first run warms the JVM and the page cache
          millis.add(ms);
        }
        s.release("stk-im-bench-" + i);
      }
      Collections.sort(millis);
      long allocated = Long.parseLong(new String(new ProcessBuilder("stat", "-c", "%b", lastDisk.toString())
          .start().getInputStream().readAllBytes()).trim()) * 512;
      System.out.printf(Locale.ROOT, "qcow2 overlay from a %d MiB image: p50 %.1f ms, p90 %.1f ms, max %.1f ms over %d"
              + " (target <= 50 ms); overlay file %d bytes, %d bytes allocated (no copy)%n",
          Files.size(image.rootfs().orElseThrow()) >> 20, millis.get(millis.size() / 2),
          millis.get(millis.size() * 9 / 10), millis.get(millis.size() - 1), millis.size(),
          Files.size(lastDisk), allocated);
      try {
        long t0 = System.nanoTime();
        Path raw = s.createWritableDisk(image, "stk-im-bench-raw", work.resolve("raw"), DiskFormat.RAW);
        System.out.printf(Locale.ROOT, "raw reflink: %.1f ms (%s)%n", (System.nanoTime() - t0) / 1e6, raw);
      } catch (ImageException e) {
        System.out.println("raw reflink: not available here: " + e.getMessage().lines().findFirst().orElse(""));
      } finally {
        s.release("stk-im-bench-raw");
      }
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** Random bytes (1 MiB pattern varied per MiB, so no filesystem can dedupe or compress it). */
  private static String writeImage(Path file, int sizeMib) throws IOException {
    MessageDigest d;
    try {
      d = MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] block = new byte[1 << 20];
    new Random(42).nextBytes(block);
    try (OutputStream out = Files.newOutputStream(file)) {
      for (int i = 0; i < sizeMib; i++) {
        block[0] = (byte) i;
        block[1] = (byte) (i >> 8);
        out.write(block);
        d.update(block);
      }
    }
    return HexFormat.of().formatHex(d.digest());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void awaitPort(int port) throws InterruptedException, IOException {
    for (int i = 0; i < 100; i++) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    throw new IOException("busybox httpd did not listen on 127.0.0.1:" + port);
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Collections.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
