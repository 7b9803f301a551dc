package io.stockade.supervisor.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

class UidAllocatorTest {
  Path dir;

  @BeforeEach
  void createDir() throws Exception {
    dir = Files.createTempDirectory("stk-jt-unit-");
  }

  @AfterEach
  void removeDir() throws Exception {
    try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void concurrentAllocationsNeverShareAUid() throws Exception {
    // Two allocators on one lease directory stand for two supervisors (or a restarted one).
    UidAllocator a = new UidAllocator(dir.resolve("leases"), 920_000, 100, Path.of("/proc"));
    UidAllocator b = new UidAllocator(dir.resolve("leases"), 920_000, 100, Path.of("/proc"));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> got = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        UidAllocator which = i % 2 == 0 ? a : b;
        String id = "s" + i;
        got.add(pool.submit((Callable<Integer>) () -> which.allocate(id)));
      }
      Set<Integer> uids = new HashSet<>();
      for (Future<Integer> f : got) {
        uids.add(f.get());
      }
      assertThat(uids).hasSize(100).allMatch(u -> u >= 920_000 && u < 920_100);
      assertThatThrownBy(() -> a.allocate("one-too-many"))
          .isInstanceOfSatisfying(JailException.class, e -> assertThat(e.step()).isEqualTo("uid_allocate"))
          .hasMessageContaining("widen the uid range");
      int uid = a.find("s7").getAsInt();
      assertThat(Files.readString(dir.resolve("leases").resolve(Integer.toString(uid)))).isEqualTo("s7");
      a.release(uid);
      assertThat(b.allocate("again")).isEqualTo(uid);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aUidThatOwnsAProcessIsSkipped() throws Exception {
    // A fake /proc with one process owned by 920201 (as /proc/PID belongs to the process's euid).
    Path proc = Files.createDirectories(dir.resolve("proc/4242"));
    JailTestSupport.assumeRoot();
    Files.setAttribute(proc, "unix:uid", 920_201);
    UidAllocator a = new UidAllocator(dir.resolve("leases"), 920_200, 3, dir.resolve("proc"));
    assertThat(List.of(a.allocate("x"), a.allocate("y"))).containsExactly(920_200, 920_202);
  }
}
