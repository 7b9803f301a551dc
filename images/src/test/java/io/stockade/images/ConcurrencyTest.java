package io.stockade.images;

import static org.assertj.core.api.Assertions.assertThat;

import io.stockade.images.TestServer.Mode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many pulls of one image download each file once, within a process and across processes. */
class ConcurrencyTest {
  @TempDir Path tmp;

  @Test
  void tenParallelPullsDownloadOnce() throws Exception {
    byte[] kernel = Fixtures.bytes(2 * 1024 * 1024, 7);
    byte[] rootfs = Fixtures.bytes(1024 * 1024, 8);
    ExecutorService pool = Executors.newFixedThreadPool(10);
    try (TestServer server = new TestServer().serve("/k", kernel).serve("/r", rootfs)
            .behave("/k", Mode.SLOW, 99, 10).behave("/r", Mode.SLOW, 99, 10);
        ImageStore store = ImageStore.open(tmp.resolve("store"), Fixtures.catalog("img",
            List.of(server.url("/k")), kernel, List.of(server.url("/r")), rootfs), Fixtures.fastOptions())) {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<ResolvedImage>> results = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        results.add(pool.submit(() -> {
          go.await();
          return store.pull("img:1", DownloadProgress.NONE);
        }));
      }
      go.countDown();
      for (Future<ResolvedImage> f : results) {
        ResolvedImage img = f.get(60, TimeUnit.SECONDS);
        assertThat(Files.readAllBytes(img.kernel())).isEqualTo(kernel);
        assertThat(Files.readAllBytes(img.rootfs().orElseThrow())).isEqualTo(rootfs);
      }
      assertThat(server.count("/k")).isEqualTo(1);
      assertThat(server.count("/r")).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void twoProcessesPullingTogetherDownloadOnce() throws Exception {
    byte[] kernel = Fixtures.bytes(3 * 1024 * 1024, 9);
    try (TestServer server = new TestServer().serve("/k", kernel).behave("/k", Mode.SLOW, 99, 80)) {
      Path catalog = tmp.resolve("catalog.json");
      Files.writeString(catalog, "{\"catalogVersion\": 1, \"images\": [{\"name\": \"img\", \"version\": \"1\","
          + " \"kernel\": " + Fixtures.file(List.of(server.url("/k")), kernel) + ","
          + " \"kernelCommandLine\": \"\", \"vmmKinds\": [\"qemu\"], \"readyLine\": \"READY\"}]}");
      Path store = tmp.resolve("store");
      List<Process> procs = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        procs.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"), PullMain.class.getName(),
            store.toString(), catalog.toString(), "img:1").redirectErrorStream(true).start());
      }
      List<String> outputs = new ArrayList<>();
      for (Process p : procs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(text).isZero();
        assertThat(text).contains("KERNEL " + store.toRealPath().resolve("blobs/sha256/" + Fixtures.sha256(kernel)));
        outputs.add(text);
      }
      assertThat(server.count("/k")).isEqualTo(1);
      // The download takes ~4 s: the later process waited on the blob's lock, then found it.
      assertThat(String.join("\n", outputs)).contains("was fetched by another process");
    }
  }
}
