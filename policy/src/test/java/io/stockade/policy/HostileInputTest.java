package io.stockade.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Files written to hurt the loader: each is refused quickly with a bounded message. */
class HostileInputTest {
  @TempDir Path tmp;

  static Stream<Arguments> hostile() {
    return Stream.of(
        Arguments.of("deep arrays", "[".repeat(1024 * 1024), "", "nesting depth"),
        Arguments.of("deep objects", "{'a':".repeat(100_000), "", "nesting depth"),
        Arguments.of("1 MB of digits", "{'version': " + "9".repeat(1024 * 1000) + "}", "", "exceeds the maximum allowed"),
        Arguments.of("NaN", "{'version': NaN, 'rules': []}", "/version", "NaN"),
        Arguments.of("Infinity", "{'version': 1, 'rules': [{'uids': [Infinity]}]}", "/rules/0/uids/0", "Infinity"),
        Arguments.of("duplicate keys", "{'version': 1, 'rules': [], 'version': 1}", "/version", "Duplicate field 'version'"),
        Arguments.of("duplicate keys deep", PolicyFixture.file("{'users': ['alice'], 'users': ['bob']}"), "/rules/0/users", "Duplicate field 'users'"),
        Arguments.of("trailing data", "{'version': 1, 'rules': []} {}", "", "Trailing token"),
        Arguments.of("comments", "{'version': 1, /* hi */ 'rules': []}", "/version", "comment"),
        Arguments.of("single quotes", "{\\u0027version\\u0027: 1}", "", "not valid JSON"),
        Arguments.of("trailing comma", "{'version': 1, 'rules': [],}", "/rules", "not valid JSON"),
        Arguments.of("truncated", "{'version': 1, 'rules': [", "/rules", "not valid JSON"),
        Arguments.of("empty", "", "", "is empty"),
        Arguments.of("only whitespace", "  \n ", "", "is empty"),
        Arguments.of("not UTF-8 JSON", "\u0000\u0001", "", "not valid JSON"),
        Arguments.of("huge integer", "{'version': 1e999999, 'rules': []}", "/version", "must be an integer"),
        Arguments.of("big negative", "{'version': -99999999999999999999, 'rules': []}", "/version", "unsupported version -99999999999999999999"),
        Arguments.of("too many rules", PolicyFixture.file(String.join(",", java.util.Collections.nCopies(1001, "{}"))), "/rules", "at most 1000 rules"),
        Arguments.of("huge array", PolicyFixture.aliceGrant("{'kinds': [" + String.join(",", java.util.Collections.nCopies(2000, "'qemu'")) + "]}"),
            "/rules/0/grant/kinds", "at most 1024 entries"),
        Arguments.of("huge string", PolicyFixture.file("{'users': ['" + "a".repeat(100_000) + "']}"), "", "String value length"),
        Arguments.of("long string", PolicyFixture.file("{'users': ['" + "a".repeat(5000) + "']}"), "/rules/0/users/0", "at most 4096 characters"),
        Arguments.of("long unknown key", "{'version': 1, 'rules': [], '" + "k".repeat(10_000) + "': 1}", "/" + "k".repeat(10_000), "unknown field 'kkkkk"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostile")
  void refused(String name, String json, String pointer, String reason) throws Exception {
    PolicyFixture f = new PolicyFixture(tmp);
    Path file = f.write("10-hostile.json", json);
    long start = System.nanoTime();
    PolicyProblem p = f.onlyProblem();
    assertThat(System.nanoTime() - start).as("refused quickly").isLessThan(5_000_000_000L);
    assertThat(p.file()).isEqualTo(file);
    assertThat(p.pointer()).isEqualTo(pointer);
    assertThat(p.reason()).contains(reason).hasSizeLessThan(600);
  }

  @Test
  void fileOverOneMebibyteIsNotRead() throws Exception {
    PolicyFixture f = new PolicyFixture(tmp);
    Path file = f.dir.resolve("10-big.json");
    Files.writeString(file, "{\"version\": 1, \"rules\": []}" + " ".repeat(1024 * 1024));
    PolicyProblem p = f.onlyProblem();
    assertThat(p.file()).isEqualTo(file);
    assertThat(p.reason()).isEqualTo("is larger than 1048576 bytes: split it into several files");
  }

  @Test
  void fileOfExactlyOneMebibyteIsRead() throws Exception {
    PolicyFixture f = new PolicyFixture(tmp);
    String json = "{\"version\": 1, \"rules\": []}";
    Files.writeString(f.dir.resolve("10-big.json"), json + " ".repeat(1024 * 1024 - json.length()));
    assertThat(Files.size(f.dir.resolve("10-big.json"))).isEqualTo(1024 * 1024);
    assertThat(f.load().grantFor(f.subject("alice"))).isEmpty();
  }
}
