package io.stockade.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS with a certificate made for the test by keytool, trusted through the JVM's default
 * SSLContext (how an operator's private CA reaches the store: the JDK trust store).
 */
class HttpsTest {
  private static final char[] PASS = "stk-im-pass".toCharArray();

  @TempDir Path tmp;
  private SSLContext previousDefault;
  private SSLContext tls;

  @BeforeEach
  void certificate() throws Exception {
    Path ks = tmp.resolve("stk-im.p12");
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    assumeTrue(Files.isExecutable(keytool), "no keytool in " + keytool.getParent());
    Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "srv", "-keyalg", "EC",
        "-groupname", "secp256r1", "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1", "-validity", "2",
        "-storetype", "PKCS12", "-keystore", ks.toString(), "-storepass", new String(PASS))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(out).isZero();
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, PASS);
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, PASS);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("srv", store.getCertificate("srv"));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    previousDefault = SSLContext.getDefault();
    SSLContext.setDefault(tls);
  }

  @AfterEach
  void restore() {
    if (previousDefault != null) {
      SSLContext.setDefault(previousDefault);
    }
  }

  @Test
  void downloadsOverHttpsAndNeverFollowsARedirectToPlainHttp() throws Exception {
    byte[] kernel = Fixtures.bytes(1024 * 1024 + 3, 5);
    try (TestServer https = new TestServer(tls).serve("/k", kernel);
        TestServer plain = new TestServer().serve("/k", kernel)) {
      https.redirect("/down", plain.url("/k").toString());
      try (ImageStore s = ImageStore.open(tmp.resolve("store"),
          Fixtures.catalog("img", List.of(https.url("/k")), kernel, null, null), Fixtures.fastOptions())) {
        assertThat(Files.readAllBytes(s.resolve("img", DownloadProgress.NONE).kernel())).isEqualTo(kernel);
      }
      try (ImageStore s = ImageStore.open(tmp.resolve("store2"),
          Fixtures.catalog("img", List.of(https.url("/down")), kernel, null, null), Fixtures.fastOptions())) {
        assertThatThrownBy(() -> s.resolve("img", DownloadProgress.NONE))
            .isInstanceOf(DownloadFailed.class).hasMessageContaining("HTTP 302");
      }
      assertThat(plain.count("/k")).isZero();
    }
  }
}
