package io.stockade.supervisor.jail.selftest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stockade.supervisor.jail.JailConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class JailSelfTestTest {
  @Test
  void everyCheckPassesOnThisHost() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "the self-test needs root");
    Path base = Files.createTempDirectory("stk-jt-selftest-");
    try {
      JailConfig config = JailConfig.defaults(base).withUidRange(910_500, 16).withCgroupPrefix("stk-jt-");
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      boolean ok = JailSelfTest.run(config, new PrintStream(buf, true, StandardCharsets.UTF_8));
      String table = buf.toString(StandardCharsets.UTF_8);
      System.out.print(table);
      assertThat(table).as(table).contains("selftest: all checks passed");
      assertThat(ok).isTrue();
      assertThat(table).containsPattern("memory_hog\\s+PASS").containsPattern("Seccomp\\s+PASS").containsPattern("ns_pid\\s+PASS");
      // 12 attempts, 10 status lines, 4 namespaces, the victim; pinned where cpuset and 2 CPUs
      // allow it (Cpus_allowed_list and widen_cpus), else one SKIP row saying why.
      boolean pinned = !java.util.regex.Pattern.compile("(?m)^cpuset\\s+SKIP").matcher(table).find();
      assertThat(table.lines().filter(l -> l.contains(" PASS ")).count()).isEqualTo(12 + 10 + 4 + 1 + (pinned ? 2 : 0));
      if (pinned) {
        assertThat(table).containsPattern("Cpus_allowed_list\\s+PASS").containsPattern("widen_cpus\\s+PASS");
      }
      // Nothing left: the jails directory is empty again.
      try (Stream<Path> left = Files.list(config.jailsDir())) {
        assertThat(left).isEmpty();
      }
    } finally {
      try (Stream<Path> s = Files.walk(base)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
