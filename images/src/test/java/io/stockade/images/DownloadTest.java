package io.stockade.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stockade.images.TestServer.Mode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads from a real local HTTP server that fails on purpose. */
class DownloadTest {
  private static final int SIZE = 3 * 1024 * 1024 + 17;

  @TempDir Path tmp;
  private TestServer server;
  private final byte[] kernel = Fixtures.bytes(SIZE, 1);

  @BeforeEach
  void start() throws Exception {
    server = new TestServer().serve("/k", kernel);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private ImageStore store(List<java.net.URI> urls) throws Exception {
    return ImageStore.open(tmp.resolve("store"), Fixtures.catalog("img", urls, kernel, null, null),
        Fixtures.fastOptions());
  }

  @Test
  void downloadsVerifiesAndInstallsReadOnly() throws Exception {
    try (ImageStore s = store(List.of(server.url("/k")))) {
      ResolvedImage img = s.resolve("img", DownloadProgress.NONE);
      assertThat(img.kernel()).isEqualTo(s.root().resolve("blobs/sha256/" + Fixtures.sha256(kernel)));
      assertThat(Files.readAllBytes(img.kernel())).isEqualTo(kernel);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(img.kernel()))).isEqualTo("r--r--r--");
      assertThat(img.readyLine()).isEqualTo("READY");
      assertThat(incoming(s)).isEmpty();
      s.resolve("img:1", DownloadProgress.NONE); // present: no second request
      assertThat(server.count("/k")).isEqualTo(1);
    }
  }

  @Test
  void resumesWithRangeAfterTheConnectionDrops() throws Exception {
    server.behave("/k", Mode.DROP, 1, 1024 * 1024);
    try (ImageStore s = store(List.of(server.url("/k")))) {
      ResolvedImage img = s.resolve("img", DownloadProgress.NONE);
      assertThat(Files.readAllBytes(img.kernel())).isEqualTo(kernel);
    }
    assertThat(server.requests).hasSize(2);
    assertThat(server.requests.get(0).range()).isNull();
    assertThat(server.requests.get(1).range()).matches("bytes=\\d+-");
    long resumedAt = Long.parseLong(server.requests.get(1).range().replaceAll("\\D", ""));
    assertThat(resumedAt).isPositive().isLessThanOrEqualTo(1024 * 1024);
  }

  @Test
  void startsOverWhenTheServerIgnoresRange() throws Exception {
    // The first mirror drops after 1 MiB; the second ignores the Range request for the rest.
    server.behave("/k", Mode.DROP, 99, 1024 * 1024);
    try (TestServer ignoring = new TestServer().serve("/k", kernel).behave("/k", Mode.IGNORE_RANGE, 99, 0);
        ImageStore s = ImageStore.open(tmp.resolve("store"), Fixtures.catalog("img",
            List.of(server.url("/k"), ignoring.url("/k")), kernel, null, null),
            Fixtures.fastOptions().withRetries(1, Duration.ZERO))) {
      ResolvedImage img = s.resolve("img", DownloadProgress.NONE);
      assertThat(Files.readAllBytes(img.kernel())).isEqualTo(kernel);
      assertThat(ignoring.requests).hasSize(1);
      assertThat(ignoring.requests.get(0).range()).isEqualTo("bytes=1048576-"); // got 200
    }
  }

  @Test
  void a416OrAWrongContentRangeStartsOver() throws Exception {
    for (Mode mode : List.of(Mode.RANGE_416, Mode.WRONG_RANGE)) {
      // flaky drops both its tries after 1 MiB each; odd then gets a Range request it answers badly.
      try (TestServer flaky = new TestServer().serve("/k", kernel).behave("/k", Mode.DROP, 2, 1024 * 1024);
          TestServer odd = new TestServer().serve("/k", kernel).behave("/k", mode, 1, 0);
          ImageStore s = ImageStore.open(tmp.resolve("store-" + mode), Fixtures.catalog("img",
              List.of(flaky.url("/k"), odd.url("/k")), kernel, null, null),
              Fixtures.fastOptions().withRetries(2, Duration.ZERO))) {
        ResolvedImage img = s.resolve("img", DownloadProgress.NONE);
        assertThat(Files.readAllBytes(img.kernel())).as(mode.toString()).isEqualTo(kernel);
        // odd: try 1 answers the Range badly (the partial file is emptied), try 2 starts at zero.
        assertThat(odd.requests).hasSize(2);
        assertThat(odd.requests.get(0).range()).isNotNull();
        assertThat(odd.requests.get(1).range()).isNull();
      }
    }
  }

  @Test
  void triesMirrorsInOrder() throws Exception {
    server.serve("/a", kernel).behave("/a", Mode.NOT_FOUND, 99, 0);
    server.serve("/b", kernel).behave("/b", Mode.ERROR_500, 99, 0);
    try (ImageStore s = store(List.of(server.url("/a"), server.url("/b"), server.url("/k")))) {
      s.resolve("img", DownloadProgress.NONE);
    }
    // 404 is final for that mirror; 500 is retried (3 tries); then the third mirror works.
    assertThat(server.requests.stream().map(TestServer.Request::path))
        .containsExactly("/a", "/b", "/b", "/b", "/k");
  }

  @Test
  void followsRedirects() throws Exception {
    server.redirect("/old", "/k");
    try (ImageStore s = store(List.of(server.url("/old")))) {
      assertThat(Files.readAllBytes(s.resolve("img", DownloadProgress.NONE).kernel())).isEqualTo(kernel);
    }
    assertThat(server.count("/old")).isEqualTo(1);
    assertThat(server.count("/k")).isEqualTo(1);
  }

  @Test
  void readsFileUrls() throws Exception {
    Path f = tmp.resolve("dir with space/vmlinuz");
    Files.createDirectories(f.getParent());
    Files.write(f, kernel);
    try (ImageStore s = store(List.of(f.toUri()))) {
      assertThat(Files.readAllBytes(s.resolve("img", DownloadProgress.NONE).kernel())).isEqualTo(kernel);
    }
  }

  @Test
  void wrongBytesFailWithTheDigestsAndLeaveNothing() throws Exception {
    server.behave("/k", Mode.WRONG_BYTES, 99, 0);
    try (ImageStore s = store(List.of(server.url("/k")))) {
      assertThatThrownBy(() -> s.resolve("img", DownloadProgress.NONE))
          .isInstanceOf(DownloadFailed.class)
          .hasMessageContaining(server.url("/k").toString())
          .hasMessageContaining("expected " + Fixtures.sha256(kernel))
          .hasCauseInstanceOf(DigestMismatch.class);
      assertThat(blobs(s)).isEmpty();
      assertThat(incoming(s)).isEmpty();
    }
    assertThat(server.count("/k")).isEqualTo(1); // a fresh mismatch is not retried
  }

  @Test
  void aBodyThatKeepsEndingEarlyFailsAfterTheRetriesAndKeepsOnlyAResumablePrefix() throws Exception {
    server.behave("/k", Mode.DROP, 99, 1000);
    try (ImageStore s = store(List.of(server.url("/k")))) {
      assertThatThrownBy(() -> s.resolve("img", DownloadProgress.NONE))
          .isInstanceOf(DownloadFailed.class)
          .hasMessageContaining("of " + SIZE + " bytes");
      assertThat(blobs(s)).isEmpty();
      Path partial = s.root().resolve("incoming/" + Fixtures.sha256(kernel) + ".partial");
      assertThat(incoming(s)).containsExactly(partial);
      byte[] prefix = Files.readAllBytes(partial);
      assertThat(prefix.length).isEqualTo(3000);
      assertThat(prefix).isEqualTo(java.util.Arrays.copyOf(kernel, prefix.length));
    }
    assertThat(server.count("/k")).isEqualTo(3);
  }

  @Test
  void serverErrorsAreReportedPerMirror() throws Exception {
    server.behave("/k", Mode.ERROR_500, 99, 0);
    try (ImageStore s = store(List.of(server.url("/k")))) {
      assertThatThrownBy(() -> s.resolve("img", DownloadProgress.NONE))
          .isInstanceOf(DownloadFailed.class)
          .hasMessageContaining("HTTP 500")
          .satisfies(e -> assertThat(((DownloadFailed) e).attempts()).hasSize(3));
      assertThat(blobs(s)).isEmpty();
    }
  }

  @Test
  void aStalledServerTimesOut() throws Exception {
    server.behave("/k", Mode.STALL, 99, 100_000);
    StoreOptions opts = Fixtures.fastOptions().withStallTimeout(Duration.ofMillis(600)).withRetries(1, Duration.ZERO);
    try (ImageStore s = ImageStore.open(tmp.resolve("store"),
        Fixtures.catalog("img", List.of(server.url("/k")), kernel, null, null), opts)) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> s.resolve("img", DownloadProgress.NONE))
          .isInstanceOf(DownloadFailed.class)
          .hasMessageContaining("no data for");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
  }

  @Test
  void moreBytesThanTheCatalogSaysIsAnError() throws Exception {
    server.behave("/k", Mode.TOO_LONG, 99, 0);
    try (ImageStore s = store(List.of(server.url("/k")))) {
      assertThatThrownBy(() -> s.resolve("img", DownloadProgress.NONE))
          .isInstanceOf(DownloadFailed.class)
          .hasMessageContaining("the catalog says " + SIZE);
      assertThat(blobs(s)).isEmpty();
    }
  }

  @Test
  void progressSeesEveryByte() throws Exception {
    long[] last = {0};
    try (ImageStore s = store(List.of(server.url("/k")))) {
      s.resolve("img", (file, done, total) -> {
        assertThat(total).isEqualTo(SIZE);
        assertThat(done).isGreaterThanOrEqualTo(last[0]);
        last[0] = done;
      });
    }
    assertThat(last[0]).isEqualTo(SIZE);
  }

  static List<Path> blobs(ImageStore s) throws Exception {
    try (Stream<Path> st = Files.list(s.root().resolve("blobs/sha256"))) {
      return st.toList();
    }
  }

  static List<Path> incoming(ImageStore s) throws Exception {
    try (Stream<Path> st = Files.list(s.root().resolve("incoming"))) {
      return st.toList();
    }
  }
}
