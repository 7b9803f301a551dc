package io.stockade.bench.jail;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a launch trace ("ID STEP NANOS" lines from the launcher, "j.*", and the exec stage,
 * "c.o.*" outer process, "c.w.*" workload before exec) and prints, per step, the median time
 * since the previous mark of the same launch, in the order the steps happen.
 */
final class LaunchSteps {
  private LaunchSteps() {}

  static void print(Path trace, int warmup, PrintStream out) throws IOException {
    Map<String, List<String[]>> byId = new LinkedHashMap<>();
    for (String line : Files.readAllLines(trace)) {
      String[] f = line.split(" ");
      if (f.length == 3) {
        byId.computeIfAbsent(f[0], k -> new ArrayList<>()).add(f);
      }
    }
    Map<String, List<Long>> deltas = new LinkedHashMap<>();
    int launches = 0;
    for (Map.Entry<String, List<String[]>> e : byId.entrySet()) {
      int n = Integer.parseInt(e.getKey().substring(e.getKey().lastIndexOf('-') + 1));
      if (n < warmup) {
        continue;
      }
      launches++;
      List<String[]> marks = e.getValue();
      marks.sort(Comparator.comparingLong(m -> Long.parseLong(m[2])));
      for (int i = 1; i < marks.size(); i++) {
        deltas.computeIfAbsent(marks.get(i)[1], k -> new ArrayList<>())
            .add(Long.parseLong(marks.get(i)[2]) - Long.parseLong(marks.get(i - 1)[2]));
      }
    }
    out.printf("steps (median / p90 time since the previous mark, %d launches):%n", launches);
    for (Map.Entry<String, List<Long>> e : deltas.entrySet()) {
      List<Long> d = e.getValue();
      d.sort(null);
      out.printf("  %-20s %7.3f ms  %7.3f ms  (n=%d)%n", e.getKey(), d.get(d.size() / 2) / 1e6,
          d.get(Math.min(d.size() - 1, (int) Math.ceil(d.size() * 0.9) - 1)) / 1e6, d.size());
    }
  }
}
