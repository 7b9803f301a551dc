package io.stockade.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** O_DIRECT writes on the test's own filesystem, and PartialFile's use of them. */
class DirectWritesTest {
  @TempDir Path tmp;

  @Test
  void onlyAlignedWritesGoDirectAndTheFileHoldsEveryByte() throws Exception {
    Path file = Files.createFile(tmp.resolve("f"));
    try (DirectWrites d = DirectWrites.open(file, PartialFile.BUFFER_SIZE)) {
      int align = d.alignment();
      assumeTrue(align > 1, "the test directory's filesystem refuses O_DIRECT");
      byte[] data = Fixtures.bytes(3 * align, 3);
      ByteBuffer buf = d.allocate(2 * align);
      assertThat(buf.alignmentOffset(0, align)).isZero();
      buf.put(data, 0, 2 * align).flip();
      assertThat(d.write(buf, 0)).isTrue();
      assertThat(buf.hasRemaining()).isFalse();

      ByteBuffer odd = d.allocate(align).put(data, 2 * align, align - 1).flip();
      assertThat(d.write(odd, 2L * align)).as("length not a multiple").isFalse();
      assertThat(odd.remaining()).isEqualTo(align - 1);
      assertThat(d.write(d.allocate(align).put(data, 0, align).flip(), 1)).as("position not aligned").isFalse();
      assertThat(Files.readAllBytes(file)).isEqualTo(Arrays.copyOf(data, 2 * align));
    }
  }

  @Test
  void aResumeAtAnUnalignedLengthRealignsWithOneShorterBufferAndHashesEverything() throws Exception {
    byte[] data = Fixtures.bytes(PartialFile.BUFFER_SIZE * 2 + 123, 5);
    Path file = tmp.resolve("x.partial");
    Files.write(file, Arrays.copyOf(data, 10_000));
    int align;
    try (DirectWrites d = DirectWrites.open(file, PartialFile.BUFFER_SIZE)) {
      align = d.alignment();
    }
    try (PartialFile p = PartialFile.open(file, data.length)) {
      assertThat(p.length()).isEqualTo(10_000);
      assertThat(p.fill()).isEqualTo(PartialFile.BUFFER_SIZE - 10_000 % align);
      int at = (int) p.length();
      while (at < data.length) {
        ByteBuffer b = p.buffer();
        int n = Math.min(b.remaining(), data.length - at);
        b.put(data, at, n).flip();
        p.write(b);
        at += n;
        assertThat(p.length() % align == 0 || at == data.length).as("aligned after the first buffer").isTrue();
      }
      assertThat(p.finish()).isEqualTo(Fixtures.sha256(data));
    }
    assertThat(Files.readAllBytes(file)).isEqualTo(data);
  }
}
