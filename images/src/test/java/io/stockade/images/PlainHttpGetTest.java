package io.stockade.images;

import static io.stockade.images.ScriptedHttpServer.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lean http:// path ({@link PlainHttpGet}) against a real socket that sends exactly the
 * bytes each test scripts. DownloadTest covers drops, stalls, wrong ranges and 416 on this path
 * through a well-behaved server library; these are the responses only a script can send.
 */
class PlainHttpGetTest {
  private static final int SIZE = 2 * 1024 * 1024 + 5;
  private final byte[] body = Fixtures.bytes(SIZE, 7);

  @TempDir Path tmp;

  private ImageStore store(URI url, StoreOptions options) throws Exception {
    return ImageStore.open(tmp.resolve("store"), Fixtures.catalog("img", List.of(url), body, null, null), options);
  }

  private byte[] pull(ScriptedHttpServer server, String path) throws Exception {
    try (ImageStore s = store(server.url(path), Fixtures.fastOptions())) {
      return Files.readAllBytes(s.resolve("img", DownloadProgress.NONE).kernel());
    }
  }

  private void ok(OutputStream out, byte[] content) throws java.io.IOException {
    write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + content.length + "\r\n\r\n");
    out.write(content);
  }

  @Test
  void aHeadInOneBytePiecesAndBytesAfterTheBodyStillGiveTheFile() throws Exception {
    try (ScriptedHttpServer server = new ScriptedHttpServer((head, out) -> {
      byte[] h = ("HTTP/1.1 200 OK\r\nX-Padding: " + "p".repeat(300) + "\r\ncontent-length: " + SIZE + "\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
      for (byte b : h) {
        out.write(b);
        out.flush();
      }
      out.write(body);
      write(out, "garbage after the body");
    })) {
      assertThat(pull(server, "/k")).isEqualTo(body);
      assertThat(server.requests).hasSize(1);
      assertThat(server.requests.get(0)).startsWith("GET /k HTTP/1.1\r\n").contains("Host: 127.0.0.1:")
          .doesNotContain("Range");
    }
  }

  @Test
  void aChunkedBodyIsFetchedThroughTheJdkClient() throws Exception {
    try (ScriptedHttpServer server = new ScriptedHttpServer((head, out) -> {
      write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
      for (int pos = 0; pos < SIZE; pos += 100_000) {
        int n = Math.min(100_000, SIZE - pos);
        write(out, Integer.toHexString(n) + "\r\n");
        out.write(body, pos, n);
        write(out, "\r\n");
      }
      write(out, "0\r\n\r\n");
    })) {
      assertThat(pull(server, "/k")).isEqualTo(body);
      assertThat(server.requests).hasSize(2); // the lean GET saw chunked, java.net.http fetched it
    }
  }

  @Test
  void aContentLengthShorterThanTheFileFailsAndKeepsTheResumablePrefix() throws Exception {
    try (ScriptedHttpServer server = new ScriptedHttpServer((head, out) -> {
      write(out, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
      out.write(body);
    })) {
      // The size check refuses it before reading: the catalog's size is exact.
      try (ImageStore s = store(server.url("/k"), Fixtures.fastOptions())) {
        assertThatThrownBy(() -> s.resolve("img", DownloadProgress.NONE))
            .isInstanceOf(DownloadFailed.class)
            .hasMessageContaining("server sends 1000 bytes, the catalog says " + SIZE);
        assertThat(server.requests).hasSize(1); // not retryable: another file
      }
    }
  }

  @Test
  void aBodyShorterThanItsContentLengthIsResumedWithRange() throws Exception {
    try (ScriptedHttpServer server = new ScriptedHttpServer((head, out) -> {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("Range: bytes=(\\d+)-").matcher(head);
      if (m.find()) {
        int from = Integer.parseInt(m.group(1));
        write(out, "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + from + "-" + (SIZE - 1) + "/" + SIZE
            + "\r\nContent-Length: " + (SIZE - from) + "\r\n\r\n");
        out.write(body, from, SIZE - from);
      } else {
        write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + SIZE + "\r\n\r\n");
        out.write(body, 0, 1_500_000); // then close: fewer bytes than promised
      }
    })) {
      assertThat(pull(server, "/k")).isEqualTo(body);
      assertThat(server.requests).hasSize(2);
      assertThat(server.requests.get(1)).contains("Range: bytes=1500000-");
    }
  }

  @Test
  void a206WhoseContentLengthOverrunsTheFileIsRefused() throws Exception {
    Path partial = tmp.resolve("store/incoming/" + Fixtures.sha256(body) + ".partial");
    try (ScriptedHttpServer server = new ScriptedHttpServer((head, out) -> {
      write(out, "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 100-" + (SIZE - 1) + "/" + SIZE
          + "\r\nContent-Length: " + SIZE + "\r\n\r\n");
      out.write(body);
    })) {
      try (ImageStore s = store(server.url("/k"), Fixtures.fastOptions())) {
        Files.write(partial, Arrays.copyOf(body, 100));
        assertThatThrownBy(() -> s.resolve("img", DownloadProgress.NONE))
            .isInstanceOf(DownloadFailed.class)
            .hasMessageContaining("server sends " + SIZE + " bytes after byte 100, more than the catalog's " + SIZE);
        assertThat(DownloadTest.blobs(s)).isEmpty();
      }
    }
  }

  @Test
  void redirectsBetweenHttpUrlsAreFollowedOnceAndLoopsEnd() throws Exception {
    try (ScriptedHttpServer server = new ScriptedHttpServer((head, out) -> {
      if (head.startsWith("GET /old ")) {
        write(out, "HTTP/1.1 301 Moved\r\nLocation: /k\r\nContent-Length: 0\r\n\r\n");
      } else if (head.startsWith("GET /loop ")) {
        write(out, "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n");
      } else {
        write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + SIZE + "\r\n\r\n");
        out.write(body);
      }
    })) {
      assertThat(pull(server, "/old")).isEqualTo(body);
      assertThat(server.requests).hasSize(2);
      Files.walk(tmp.resolve("store")).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      try (ImageStore s = store(server.url("/loop"), Fixtures.fastOptions().withRetries(1, Duration.ZERO))) {
        assertThatThrownBy(() -> s.resolve("img", DownloadProgress.NONE))
            .isInstanceOf(DownloadFailed.class)
            .hasMessageContaining("more than " + PlainHttpGet.MAX_REDIRECTS + " redirects");
      }
    }
  }

  @Test
  void aResponseThatIsNotHttpOrHasAnEndlessHeadIsAClearError() throws Exception {
    try (ScriptedHttpServer server = new ScriptedHttpServer((head, out) -> {
      if (head.startsWith("GET /ssh ")) {
        write(out, "SSH-2.0-OpenSSH_9.2\r\n\r\n");
      } else {
        write(out, "HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < 2000; i++) {
          write(out, "X-Filler-" + i + ": " + "f".repeat(60) + "\r\n");
        }
      }
    })) {
      try (ImageStore s = store(server.url("/ssh"), Fixtures.fastOptions())) {
        assertThatThrownBy(() -> s.resolve("img", DownloadProgress.NONE))
            .isInstanceOf(DownloadFailed.class)
            .hasMessageContaining("not an HTTP/1.x response: 'SSH-2.0-OpenSSH_9.2'");
      }
      Files.walk(tmp.resolve("store")).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      try (ImageStore s = store(server.url("/big"), Fixtures.fastOptions())) {
        assertThatThrownBy(() -> s.resolve("img", DownloadProgress.NONE))
            .isInstanceOf(DownloadFailed.class)
            .hasMessageContaining("response head longer than " + ResponseHead.MAX_HEAD + " bytes");
      }
    }
  }

  @Test
  void aServerThatStallsBeforeItsHeadTimesOut() throws Exception {
    try (ScriptedHttpServer server = new ScriptedHttpServer((head, out) -> {
      write(out, "HTTP/1.1 200 OK\r\n");
      out.flush();
      Thread.sleep(30_000);
    })) {
      StoreOptions opts = Fixtures.fastOptions().withStallTimeout(Duration.ofMillis(500)).withRetries(1, Duration.ZERO);
      try (ImageStore s = store(server.url("/k"), opts)) {
        long start = System.nanoTime();
        assertThatThrownBy(() -> s.resolve("img", DownloadProgress.NONE))
            .isInstanceOf(DownloadFailed.class)
            .hasMessageContaining("no data for 500 ms after 0 bytes");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
      }
    }
  }

  @Test
  void aSlowServerIsWaitedFor() throws Exception {
    try (ScriptedHttpServer server = new ScriptedHttpServer((head, out) -> {
      write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + SIZE + "\r\n\r\n");
      for (int pos = 0; pos < SIZE; pos += 256 * 1024) {
        out.write(body, pos, Math.min(256 * 1024, SIZE - pos));
        out.flush();
        Thread.sleep(150); // slower than nothing at all, but never silent for the stall timeout
      }
    })) {
      StoreOptions opts = Fixtures.fastOptions().withStallTimeout(Duration.ofMillis(3000)).withRetries(1, Duration.ZERO);
      try (ImageStore s = store(server.url("/k"), opts)) {
        assertThat(Files.readAllBytes(s.resolve("img", DownloadProgress.NONE).kernel())).isEqualTo(body);
      }
    }
  }

  @Test
  void anInterruptedPullKeepsItsPartialFile() throws Exception {
    try (ScriptedHttpServer server = new ScriptedHttpServer((head, out) -> {
      write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + SIZE + "\r\n\r\n");
      out.write(body, 0, 1_200_000);
      out.flush();
      Thread.sleep(30_000);
    })) {
      try (ImageStore s = store(server.url("/k"), Fixtures.fastOptions())) {
        Thread puller = Thread.currentThread();
        Path partial = s.root().resolve("incoming/" + Fixtures.sha256(body) + ".partial");
        Thread interrupter = new Thread(() -> {
          try {
            // The first whole buffer (1 MiB) lands in the file; the rest waits in the next one.
            for (int i = 0; i < 400 && (!Files.exists(partial) || Files.size(partial) < PartialFile.BUFFER_SIZE); i++) {
              Thread.sleep(50);
            }
            Thread.sleep(500);
          } catch (InterruptedException | java.io.IOException e) {
            return;
          }
          puller.interrupt();
        });
        interrupter.start();
        assertThatThrownBy(() -> s.resolve("img", DownloadProgress.NONE))
            .isInstanceOf(ImageException.class)
            .hasMessageContaining("interrupted")
            .hasMessageContaining("kept for resuming");
        Thread.interrupted();
        interrupter.join();
        assertThat(Files.readAllBytes(partial)).isEqualTo(Arrays.copyOf(body, 1_200_000));
        assertThat(DownloadTest.blobs(s)).isEmpty();
      }
    }
  }
}
