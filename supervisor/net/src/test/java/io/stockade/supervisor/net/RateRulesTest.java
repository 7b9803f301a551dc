package io.stockade.supervisor.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockade.policy.RateLimit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A rate limit's bounds, nftables form, and normal form for the read-back (no kernel needed). */
class RateRulesTest {
  @Test
  void noLimitNoStatementAndPacketsComeFirst() {
    assertThat(RateRules.statements(RateLimit.NONE)).isEmpty();
    assertThat(RateRules.statements(new RateLimit(5_000, 100)))
        .extracting(s -> RateRules.describe(s.get("limit")))
        .containsExactly("limit over 100 packets/second burst 100",
            "limit over 5000 bytes/second burst 65536");
    assertThat(RateRules.describe(RateRules.overBytes(1_000_000).get("limit")))
        .isEqualTo("limit over 1000000 bytes/second burst 1000000");
  }

  /** The forms nft 1.0.6 printed back for limits we installed (see docs/network.md). */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"rate\":2,\"burst\":64,\"per\":\"second\",\"inv\":true,\"rate_unit\":\"kbytes\","
          + "\"burst_unit\":\"kbytes\"}|limit over 2048 bytes/second burst 65536",
      "{\"rate\":3072,\"burst\":3072,\"per\":\"second\",\"inv\":true,\"rate_unit\":\"mbytes\","
          + "\"burst_unit\":\"mbytes\"}|limit over 3221225472 bytes/second burst 3221225472",
      "{\"rate\":20000,\"burst\":64,\"per\":\"second\",\"inv\":true,\"rate_unit\":\"bytes\","
          + "\"burst_unit\":\"kbytes\"}|limit over 20000 bytes/second burst 65536",
      "{\"rate\":100,\"burst\":100,\"per\":\"second\",\"inv\":true}"
          + "|limit over 100 packets/second burst 100",
      "{\"rate\":100,\"per\":\"second\"}|limit 100 packets/second burst 0"})
  void readBackFormsNormalise(String json, String expected) throws Exception {
    JsonNode limit = Nft.JSON.readTree(json);
    assertThat(RateRules.describe(limit)).isEqualTo(expected);
  }

  @Test
  void aRuleWithoutItsLimitIsAnotherRule() {
    var with = Nft.array().add(RateRules.overPackets(100)).add(Nft.verdict("drop"));
    var without = Nft.array().add(Nft.verdict("drop"));
    assertThat(TableModel.verdictOf(with)).isEqualTo("limit over 100 packets/second burst 100: drop");
    assertThat(TableModel.verdictOf(without)).isEqualTo("drop");
  }

  @ParameterizedTest
  @CsvSource({"1499,0,bytesPerSecond 1499 is outside 1500..4294967295 bytes/s",
      "4294967296,0,bytesPerSecond 4294967296 is outside 1500..4294967295 bytes/s",
      "0,9,packetsPerSecond 9 is outside 10..10000000 packets/s",
      "1500,10000001,packetsPerSecond 10000001 is outside 10..10000000 packets/s"})
  void outOfRangeValuesAreRefusedNamingValueAndRange(long bytes, long packets, String message) {
    assertThatThrownBy(() -> RateBounds.check(new RateLimit(bytes, packets)))
        .isInstanceOf(NetworkException.class).hasMessageContaining(message);
  }

  @Test
  void boundsAndZeroAreAccepted() throws Exception {
    RateBounds.check(RateLimit.NONE);
    RateBounds.check(new RateLimit(1_500, 10));
    RateBounds.check(new RateLimit(4_294_967_295L, 10_000_000));
  }
}
