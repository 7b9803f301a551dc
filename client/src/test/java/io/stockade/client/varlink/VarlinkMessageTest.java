package io.stockade.client.varlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VarlinkMessageTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void callRoundTrips() throws Exception {
    ObjectNode p = VarlinkJson.newObject().put("id", "sb-1");
    VarlinkCall call = VarlinkCall.streaming("io.stockade.Supervisor.Logs", p);
    VarlinkCall back = VarlinkCall.parse(call.toBytes());
    assertThat(back).isEqualTo(call);
    assertThat(back.more()).isTrue();
    assertThat(back.interfaceName()).isEqualTo("io.stockade.Supervisor");
    assertThat(back.methodName()).isEqualTo("Logs");
    assertThat(new String(call.toBytes(), StandardCharsets.UTF_8))
        .isEqualTo("{\"method\":\"io.stockade.Supervisor.Logs\",\"parameters\":{\"id\":\"sb-1\"},\"more\":true}");
  }

  @Test
  void callWithoutParametersHasEmptyParameters() throws Exception {
    VarlinkCall call = VarlinkCall.parse(utf8("{\"method\":\"org.varlink.service.GetInfo\"}"));
    assertThat(call.parameters()).isEmpty();
    assertThat(call.more()).isFalse();
  }

  @Test
  void streamingRepliesCarryContinues() throws Exception {
    VarlinkReply first = VarlinkReply.parse(utf8("{\"parameters\":{\"data\":\"a\"},\"continues\":true}"));
    VarlinkReply last = VarlinkReply.parse(utf8("{\"parameters\":{\"data\":\"b\"}}"));
    assertThat(first.continues()).isTrue();
    assertThat(last.continues()).isFalse();
    assertThat(first.parameters().get("data").asText()).isEqualTo("a");
    assertThat(VarlinkReply.parse(VarlinkReply.continuing(first.parameters()).toBytes())).isEqualTo(first);
  }

  @Test
  void errorReplyRoundTrips() throws Exception {
    VarlinkReply error = VarlinkReply.error("io.stockade.Supervisor.NotFound", VarlinkJson.newObject().put("id", "x"));
    VarlinkReply back = VarlinkReply.parse(error.toBytes());
    assertThat(back.isError()).isTrue();
    assertThat(back.errorName()).contains("io.stockade.Supervisor.NotFound");
    assertThat(back.parameters().get("id").asText()).isEqualTo("x");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "   ",
      "garbage",
      "[1,2]",
      "\"str\"",
      "{\"method\":\"a.b.C\"} trailing",
      "{\"method\":\"a.b.C\"}{\"method\":\"a.b.C\"}",
      "{\"method\":\"a.b.C\",\"method\":\"a.b.D\"}",
      "{\"method\":\"a.b.C\",\"parameters\":{\"x\":1,\"x\":2}}",
      "{\"method\":\"a.b.C\" /* comment */}",
      "{\"method\":\"a.b.C\",\"parameters\":[]}",
      "{\"method\":1}",
      "{\"method\":\"NoInterface\"}",
      "{\"method\":\"a.b.lowercase\"}",
      "{\"method\":\"a.b.C\",\"more\":\"yes\"}",
      "{\"method\":\"a.b.C\",\"more\":true,\"oneway\":true}",
      "{\"method\":\"a.b.C\",\"surprise\":true}",
      "{'method':'a.b.C'}",
  })
  void malformedCallsAreRejected(String text) {
    assertThatThrownBy(() -> VarlinkCall.parse(utf8(text))).isInstanceOf(MalformedMessageException.class);
  }

  @Test
  void invalidUtf8IsRejected() {
    byte[] bad = {'{', '"', 'm', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    assertThatThrownBy(() -> VarlinkJson.parseObject(bad))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("UTF-8");
  }

  @Test
  void deepNestingIsRejected() {
    String deep = "{\"method\":\"a.b.C\",\"parameters\":{\"x\":" + "[".repeat(200) + "]".repeat(200) + "}}";
    assertThatThrownBy(() -> VarlinkCall.parse(utf8(deep))).isInstanceOf(MalformedMessageException.class);
  }

  @Test
  void malformedRepliesAreRejected() {
    assertThatThrownBy(() -> VarlinkReply.parse(utf8("{\"parameters\":{},\"extra\":1}")))
        .isInstanceOf(MalformedMessageException.class).hasMessageContaining("extra");
    assertThatThrownBy(() -> VarlinkReply.parse(utf8("{\"error\":\"a.b.E\",\"continues\":true}")))
        .isInstanceOf(MalformedMessageException.class);
    assertThatThrownBy(() -> VarlinkReply.parse(utf8("{\"error\":5}")))
        .isInstanceOf(MalformedMessageException.class);
  }
}
