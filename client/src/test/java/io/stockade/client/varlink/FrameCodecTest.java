package io.stockade.client.varlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class FrameCodecTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void readsFramesWrittenOverARealSocketIncludingPipelinedOnes() throws Exception {
    try (UnixSocketPair pair = new UnixSocketPair()) {
      FrameWriter writer = FrameWriter.of(pair.leftOut());
      writer.writeFrame(utf8("{\"a\":1}"));
      // Two frames in one write: the reader must keep the second for the next call.
      pair.leftOut().write(utf8("{\"b\":2}\0{\"c\":3}\0"));
      pair.left.shutdownOutput();
      FrameReader reader = FrameReader.of(pair.rightIn());
      assertThat(new String(reader.readFrame(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}");
      assertThat(new String(reader.readFrame(), StandardCharsets.UTF_8)).isEqualTo("{\"b\":2}");
      assertThat(new String(reader.readFrame(), StandardCharsets.UTF_8)).isEqualTo("{\"c\":3}");
      assertThat(reader.readFrame()).as("clean end between frames").isNull();
    }
  }

  @Test
  void largeFrameSpanningManyReadsArrivesWhole() throws Exception {
    StringBuilder sb = new StringBuilder("{\"data\":\"");
    for (int i = 0; i < 200_000; i++) {
      sb.append((char) ('a' + i % 26));
    }
    sb.append("\"}");
    byte[] payload = utf8(sb.toString());
    try (UnixSocketPair pair = new UnixSocketPair()) {
      Thread writer = new Thread(() -> {
        try {
          FrameWriter.of(pair.leftOut()).writeFrame(payload);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      writer.start();
      byte[] frame = FrameReader.of(pair.rightIn()).readFrame();
      writer.join();
      assertThat(frame).isEqualTo(payload);
    }
  }

  @Test
  void oversizedFrameIsRejectedWithoutReadingTheRest() throws Exception {
    // An endless stream without NUL: the reader must stop at the limit, not buffer forever.
    AtomicLong served = new AtomicLong();
    InputStream endless = new InputStream() {
      @Override
      public int read() {
        served.incrementAndGet();
        return 'x';
      }

      @Override
      public int read(byte[] b, int off, int len) {
        java.util.Arrays.fill(b, off, off + len, (byte) 'x');
        served.addAndGet(len);
        return len;
      }
    };
    FrameReader reader = FrameReader.of(endless, 64 * 1024);
    assertThatThrownBy(reader::readFrame)
        .isInstanceOf(FrameTooLargeException.class)
        .hasMessageContaining("65536 bytes");
    assertThat(served.get()).isLessThanOrEqualTo(64 * 1024 + 16 * 1024);
    assertThatThrownBy(reader::readFrame).isInstanceOf(VarlinkProtocolException.class)
        .hasMessageContaining("out of step");
  }

  @Test
  void oversizedFrameOverSocketIsRejected() throws Exception {
    try (UnixSocketPair pair = new UnixSocketPair()) {
      OutputStream out = pair.leftOut();
      out.write(new byte[100]);  // zeros would be NULs: use letters
      out.write(utf8("x".repeat(5000)));
      pair.left.shutdownOutput();
      FrameReader reader = FrameReader.of(pair.rightIn(), 1024);
      // First the 100 NUL bytes: each is an empty frame.
      assertThat(reader.readFrame()).isEmpty();
      for (int i = 1; i < 100; i++) {
        reader.readFrame();
      }
      assertThatThrownBy(reader::readFrame).isInstanceOf(FrameTooLargeException.class);
    }
  }

  @Test
  void frameExactlyAtTheLimitIsAccepted() throws Exception {
    byte[] data = utf8("y".repeat(1024) + "\0");
    FrameReader reader = FrameReader.of(new ByteArrayInputStream(data), 1024);
    assertThat(reader.readFrame()).hasSize(1024);
    FrameReader tooSmall = FrameReader.of(new ByteArrayInputStream(data), 1023);
    assertThatThrownBy(tooSmall::readFrame).isInstanceOf(FrameTooLargeException.class);
  }

  @Test
  void peerHangingUpMidFrameIsATruncatedFrame() throws Exception {
    try (UnixSocketPair pair = new UnixSocketPair()) {
      pair.leftOut().write(utf8("{\"parameters\":{\"da"));
      pair.left.close();
      FrameReader reader = FrameReader.of(pair.rightIn());
      assertThatThrownBy(reader::readFrame)
          .isInstanceOf(TruncatedFrameException.class)
          .hasMessageContaining("18 bytes");
    }
  }

  @Test
  void writerRefusesPayloadWithNul() {
    FrameWriter writer = FrameWriter.of(OutputStream.nullOutputStream());
    assertThatThrownBy(() -> writer.writeFrame(new byte[] {'a', 0, 'b'}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("offset 1");
  }
}
