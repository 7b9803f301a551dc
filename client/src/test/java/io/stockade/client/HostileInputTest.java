package io.stockade.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.stockade.client.varlink.FrameReader;
import io.stockade.client.varlink.MalformedMessageException;
import io.stockade.client.varlink.VarlinkCall;
import io.stockade.client.varlink.VarlinkProtocolException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The server decodes what unprivileged callers send with this codec, so mangled input must fail
 * only in the documented ways: the frame reader with a VarlinkProtocolException, parsing with
 * MalformedMessageException, decoding with InvalidParameterException. Never anything else (no
 * NullPointerException, no Jackson exception leaking through). Seeded, so failures reproduce.
 */
class HostileInputTest {
  private static final List<String> VALID = List.of(
      "{\"method\":\"io.stockade.Supervisor.Create\",\"parameters\":{\"spec\":{\"kind\":\"qemu\",\"image\":\"default\","
          + "\"vcpus\":2,\"memoryMiB\":512,\"egress\":[{\"cidr\":\"10.0.0.0/8\",\"protocol\":\"tcp\",\"portFrom\":443,"
          + "\"portTo\":443}],\"dnsNames\":[\"example.org\"],\"network\":true,\"command\":[\"a\",\"b\"]}}}",
      "{\"method\":\"io.stockade.Supervisor.Stop\",\"parameters\":{\"id\":\"web\",\"timeoutSeconds\":5,\"graceful\":false}}",
      "{\"method\":\"io.stockade.Supervisor.Logs\",\"parameters\":{\"id\":\"web\",\"tail\":10},\"more\":true}",
      "{\"method\":\"io.stockade.Supervisor.UpdateEgress\",\"parameters\":{\"id\":\"a\",\"egress\":[],\"dnsNames\":null}}",
      "{\"method\":\"io.stockade.Supervisor.Restore\",\"parameters\":{\"snapshot\":\"s\",\"name\":\"n\"}}");

  private static final byte[] INTERESTING = "{}[]\",:0-9.eE+-\\u0000nulltruefalse \t\n\u00ff".getBytes(StandardCharsets.UTF_8);

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void mangledCallsFailOnlyInTheDocumentedWays(long seed) throws Exception {
    Random random = new Random(seed);
    int decoded = 0;
    for (int round = 0; round < 600; round++) {
      byte[] message = mutate(VALID.get(random.nextInt(VALID.size())).getBytes(StandardCharsets.UTF_8), random);
      VarlinkCall call;
      try {
        call = VarlinkCall.parse(message);
      } catch (MalformedMessageException e) {
        continue;
      } catch (RuntimeException e) {
        fail("seed " + seed + " round " + round + ": parse threw " + e + " for " + new String(message, StandardCharsets.UTF_8), e);
        return;
      }
      var method = SupervisorMethod.byQualifiedName(call.method());
      if (method.isEmpty()) {
        continue;
      }
      try {
        method.get().decodeRequest(call.parameters());
        decoded++;
      } catch (InvalidParameterException e) {
        assertThat(e.parameter()).isNotEmpty();
      } catch (RuntimeException e) {
        fail("seed " + seed + " round " + round + ": decode threw " + e + " for " + call, e);
      }
    }
    assertThat(decoded).as("some mutations stay valid, so decoding ran").isPositive();
  }

  @ParameterizedTest
  @ValueSource(longs = {11, 12})
  void randomByteStreamsFailOnlyAsProtocolErrors(long seed) {
    Random random = new Random(seed);
    for (int round = 0; round < 100; round++) {
      byte[] stream = new byte[random.nextInt(4096)];
      for (int i = 0; i < stream.length; i++) {
        stream[i] = random.nextInt(8) == 0 ? 0 : INTERESTING[random.nextInt(INTERESTING.length)];
      }
      FrameReader reader = FrameReader.of(new ByteArrayInputStream(stream), 512);
      try {
        for (byte[] frame; (frame = reader.readFrame()) != null; ) {
          try {
            VarlinkCall.parse(frame);
          } catch (MalformedMessageException e) {
            // expected for nearly every frame
          }
        }
      } catch (VarlinkProtocolException e) {
        // oversized or truncated: the documented way to fail
      } catch (IOException | RuntimeException e) {
        fail("seed " + seed + " round " + round + ": " + e, e);
      }
    }
  }

  private static byte[] mutate(byte[] in, Random random) {
    byte[] out = in.clone();
    int edits = 1 + random.nextInt(3);
    for (int e = 0; e < edits; e++) {
      int pos = random.nextInt(out.length);
      switch (random.nextInt(3)) {
        case 0 -> out[pos] = INTERESTING[random.nextInt(INTERESTING.length)];
        case 1 -> {
          byte[] shorter = new byte[out.length - 1];
          System.arraycopy(out, 0, shorter, 0, pos);
          System.arraycopy(out, pos + 1, shorter, pos, out.length - pos - 1);
          out = shorter.length == 0 ? out : shorter;
        }
        default -> {
          byte[] longer = new byte[out.length + 1];
          System.arraycopy(out, 0, longer, 0, pos);
          longer[pos] = INTERESTING[random.nextInt(INTERESTING.length)];
          System.arraycopy(out, pos, longer, pos + 1, out.length - pos);
          out = longer;
        }
      }
    }
    return out;
  }
}
