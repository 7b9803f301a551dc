package io.stockade.supervisor.monitor;

import io.stockade.supervisor.api.ApiMetrics;
import io.stockade.supervisor.lifecycle.LifecycleMetrics;
import io.stockade.supervisor.lifecycle.SandboxState;
import io.stockade.supervisor.lifecycle.SandboxView;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counters and histograms, rendered in the Prometheus text exposition format (version 0.0.4). */
public final class Metrics implements ApiMetrics, LifecycleMetrics {
  private static final double[] BUCKETS = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};

  private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  private final Map<String, Histogram> launches = new ConcurrentHashMap<>();
  private final Map<String, Histogram> stops = new ConcurrentHashMap<>();

  @Override
  public void call(String method, String error) {
    String m = method.length() > 80 || !method.matches("[A-Za-z0-9._()-]*") ? "(invalid)" : method;
    calls.computeIfAbsent(m, k -> new LongAdder()).increment();
    if (error != null) {
      String e = error.substring(error.lastIndexOf('.') + 1);
      errors.computeIfAbsent(m + "\u0000" + e, k -> new LongAdder()).increment();
    }
  }

  @Override
  public void launched(String kind, Duration took, boolean ok) {
    launches.computeIfAbsent(kind + "\u0000" + (ok ? "ok" : "failed"), k -> new Histogram()).observe(took);
  }

  @Override
  public void stopped(String kind, String step, Duration took) {
    stops.computeIfAbsent(kind + "\u0000" + step, k -> new Histogram()).observe(took);
  }

  /** The whole exposition. */
  public String render(List<SandboxView> sandboxes) {
    StringBuilder sb = new StringBuilder();
    sb.append("# HELP stockade_sandboxes Sandboxes by state.\n# TYPE stockade_sandboxes gauge\n");
    Map<String, Integer> byState = new TreeMap<>();
    for (SandboxState s : SandboxState.values()) {
      if (s != SandboxState.DESTROYED) {
        byState.put(s.wireName(), 0);
      }
    }
    for (SandboxView v : sandboxes) {
      byState.merge(v.state().wireName(), 1, Integer::sum);
    }
    byState.forEach((s, n) -> sb.append("stockade_sandboxes{state=\"").append(s).append("\"} ").append(n).append('\n'));
    sb.append("# HELP stockade_api_calls_total API calls by method.\n# TYPE stockade_api_calls_total counter\n");
    new TreeMap<>(calls).forEach((m, n) -> sb.append("stockade_api_calls_total{method=\"").append(m).append("\"} ").append(n.sum()).append('\n'));
    sb.append("# HELP stockade_api_errors_total API errors by method and error.\n# TYPE stockade_api_errors_total counter\n");
    new TreeMap<>(errors).forEach((k, n) -> {
      String[] p = k.split("\u0000");
      sb.append("stockade_api_errors_total{method=\"").append(p[0]).append("\",error=\"").append(p[1]).append("\"} ").append(n.sum()).append('\n');
    });
    histogram(sb, "stockade_launch_duration_seconds", "Time from Start to running (or failure).", "kind", "result", launches);
    histogram(sb, "stockade_stop_duration_seconds", "Time a stop took, by the step that ended it.", "kind", "step", stops);
    return sb.toString();
  }

  private static void histogram(StringBuilder sb, String name, String help, String l1, String l2, Map<String, Histogram> hs) {
    sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" histogram\n");
    new TreeMap<>(hs).forEach((k, h) -> {
      String[] p = k.split("\u0000");
      String labels = l1 + "=\"" + p[0] + "\"," + l2 + "=\"" + p[1] + "\"";
      long[] counts;
      double sum;
      long count;
      synchronized (h) {
        counts = h.counts.clone();
        sum = h.sum;
        count = h.count;
      }
      long cumulative = 0;
      for (int i = 0; i < BUCKETS.length; i++) {
        cumulative += counts[i];
        sb.append(name).append("_bucket{").append(labels).append(",le=\"").append(fmt(BUCKETS[i])).append("\"} ").append(cumulative).append('\n');
      }
      sb.append(name).append("_bucket{").append(labels).append(",le=\"+Inf\"} ").append(count).append('\n');
      sb.append(name).append("_sum{").append(labels).append("} ").append(fmt(sum)).append('\n');
      sb.append(name).append("_count{").append(labels).append("} ").append(count).append('\n');
    });
  }

  private static String fmt(double d) {
    return String.format(Locale.ROOT, "%s", d);
  }

  private static final class Histogram {
    final long[] counts = new long[BUCKETS.length];
    double sum;
    long count;

    synchronized void observe(Duration d) {
      double s = d.toNanos() / 1e9;
      for (int i = 0; i < BUCKETS.length; i++) {
        if (s <= BUCKETS[i]) {
          counts[i]++;
          break;
        }
      }
      sum += s;
      count++;
    }
  }
}
