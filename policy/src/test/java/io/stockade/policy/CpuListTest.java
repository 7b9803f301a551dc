package io.stockade.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The kernel's CPU list format: strict parsing, canonical printing, set arithmetic. */
class CpuListTest {
  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {
      "0;0", "0-3;0-3", "3,1,2;1-3", "0-1,1-2;0-2", "5,0-1,7-8;0-1,5,7-8", " 2 ;2", "8191;8191"})
  void printsTheCanonicalForm(String text, String canonical) {
    CpuList c = CpuList.parse(text);
    assertThat(c.toString()).isEqualTo(canonical);
    assertThat(CpuList.parse(c.toString())).isEqualTo(c);
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "1-", "-1", "1,,2", "3-1", "0 - 1", "1 2", "8192", "99999999999",
      "0x1", "+1", "1-2-3", ",", "0\n1", "1;rm"})
  void refusesWhatIsNotAListNamingIt(String text) {
    assertThatThrownBy(() -> CpuList.parse(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CPU list");
  }

  @Test
  void blankIsNone() {
    assertThat(CpuList.parse(null)).isEqualTo(CpuList.NONE);
    assertThat(CpuList.parse("  ").isEmpty()).isTrue();
    assertThat(CpuList.NONE.toString()).isEmpty();
  }

  @Test
  void setArithmetic() {
    CpuList allowed = CpuList.parse("0-3");
    assertThat(allowed.containsAll(CpuList.parse("1,3"))).isTrue();
    assertThat(allowed.containsAll(CpuList.parse("3-4"))).isFalse();
    assertThat(CpuList.parse("2-6").minus(allowed).toString()).isEqualTo("4-6");
    assertThat(CpuList.parse("2-6").intersect(allowed).toString()).isEqualTo("2-3");
    assertThat(allowed.size()).isEqualTo(4);
    assertThat(allowed.contains(3)).isTrue();
    assertThat(allowed.contains(-1)).isFalse();
    assertThat(CpuList.of(4, 1, 2).toString()).isEqualTo("1-2,4");
    assertThatThrownBy(() -> CpuList.of(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rateLimitFillsOnlyTheFieldsTheRequestLeftOpen() {
    RateLimit asked = new RateLimit(1000, 0);
    assertThat(asked.orElse(new RateLimit(5000, 70))).isEqualTo(new RateLimit(1000, 70));
    assertThat(RateLimit.NONE.limits()).isFalse();
    assertThat(asked.limits()).isTrue();
    assertThatThrownBy(() -> new RateLimit(-1, 0)).hasMessageContaining(">= 0");
  }
}
