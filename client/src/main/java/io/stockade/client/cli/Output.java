package io.stockade.client.cli;

import io.stockade.client.PreflightCheck;
import io.stockade.client.SandboxEvent;
import io.stockade.client.SandboxInfo;
import io.stockade.client.SnapshotInfo;
import io.stockade.client.varlink.VarlinkJson;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Renders replies: one compact JSON object per line with --json, aligned tables otherwise. */
final class Output {
  final PrintStream out;
  final PrintStream err;
  final boolean json;

  Output(PrintStream out, PrintStream err, boolean json) {
    this.out = out;
    this.err = err;
    this.json = json;
  }

  /**
   * True once stdout cannot be written (its reader, e.g. {@code head}, exited): a follow loop then
   * stops instead of reading the stream for nobody. PrintStream swallows the EPIPE; this asks.
   */
  boolean readerGone() {
    return out.checkError();
  }

  /** With --json: the record as one line. */
  void json(Record value) {
    out.println(new String(VarlinkJson.toBytes(VarlinkJson.encode(value)), StandardCharsets.UTF_8));
    out.flush();
  }

  void sandboxes(List<SandboxInfo> list) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"ID", "NAME", "KIND", "STATE", "VCPUS", "MEMORY", "IMAGE", "CREATED", "REASON"});
    for (SandboxInfo s : list) {
      rows.add(new String[] {s.id(), s.name(), str(s.kind()), str(s.state()), String.valueOf(s.vcpus()),
          s.memoryMiB() + "MiB", str(s.image()), str(s.createdAt()), str(s.reason())});
    }
    table(rows);
  }

  /** One line per sandbox that changed: id, state, reason. */
  void sandboxState(SandboxInfo s) {
    out.println(s.id() + " " + s.state() + (s.reason() == null ? "" : " (" + s.reason() + ")"));
  }

  void sandboxDetail(SandboxInfo s) {
    List<String[]> rows = new ArrayList<>();
    rows.add(row("id", s.id()));
    rows.add(row("name", s.name()));
    rows.add(row("kind", str(s.kind())));
    rows.add(row("owner uid", String.valueOf(s.ownerUid())));
    rows.add(row("state", str(s.state())));
    rows.add(row("reason", str(s.reason())));
    rows.add(row("exit status", str(s.exitStatus())));
    rows.add(row("image", str(s.image())));
    rows.add(row("vcpus", String.valueOf(s.vcpus())));
    rows.add(row("memory", s.memoryMiB() + " MiB"));
    rows.add(row("egress", s.egress().isEmpty() ? "-" : join(s.egress())));
    rows.add(row("dns names", s.dnsNames().isEmpty() ? "-" : String.join(", ", s.dnsNames())));
    rows.add(row("created", str(s.createdAt())));
    rows.add(row("started", str(s.startedAt())));
    rows.add(row("stopped", str(s.stoppedAt())));
    if (s.network() != null) {
      rows.add(row("address", s.network().guestAddress()));
      rows.add(row("gateway", s.network().gateway()));
      rows.add(row("mac", s.network().mac()));
    }
    if (s.limits() != null) {
      limitRows(rows, s.limits());
    }
    if (s.stats() != null) {
      rows.add(row("cpu", s.stats().cpuMicros() / 1000 + " ms"));
      rows.add(row("memory used", s.stats().memoryBytes() / 1024 + " KiB"));
      rows.add(row("tx/rx", s.stats().txBytes() + " / " + s.stats().rxBytes() + " bytes"));
    }
    for (String[] r : rows) {
      r[0] = r[0] + ":";
    }
    table(rows);
  }

  private static void limitRows(List<String[]> rows, io.stockade.client.SandboxLimits l) {
    rows.add(row("pinned to CPUs", l.cpus() == null ? "- (not pinned)" : l.cpus()));
    rows.add(row("pids limit", l.pids() == 0 ? "- (the driver's default)" : String.valueOf(l.pids())));
    rows.add(row("open files", l.openFiles() == 0 ? "- (the driver's default)" : String.valueOf(l.openFiles())));
    rows.add(row("disk I/O limit", l.ioReadBytesPerSec() == 0 && l.ioWriteBytesPerSec() == 0 ? "-"
        : "read " + perSecond(l.ioReadBytesPerSec(), "B") + ", write " + perSecond(l.ioWriteBytesPerSec(), "B")));
    rows.add(row("network rate", l.netBytesPerSec() == 0 && l.netPacketsPerSec() == 0 ? "-"
        : perSecond(l.netBytesPerSec(), "B") + ", " + perSecond(l.netPacketsPerSec(), "packets")
            + " (each direction)"));
    if (!l.dataDisks().isEmpty()) {
      rows.add(row("data disks", l.dataDisks().stream().map(d -> d.sizeMiB() + " MiB")
          .collect(java.util.stream.Collectors.joining(", "))));
    }
  }

  private static String perSecond(long v, String unit) {
    return v == 0 ? "unlimited " + unit + "/s" : v + " " + unit + "/s";
  }

  void snapshots(List<SnapshotInfo> list) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"ID", "NAME", "SANDBOX", "KIND", "IMAGE", "SIZE", "CREATED"});
    for (SnapshotInfo s : list) {
      rows.add(new String[] {s.id(), s.name(), s.sandboxId(), str(s.kind()), str(s.image()),
          s.sizeBytes() / (1024 * 1024) + "MiB", str(s.createdAt())});
    }
    table(rows);
  }

  void checks(List<PreflightCheck> checks) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"CHECK", "STATUS", "FOUND"});
    for (PreflightCheck c : checks) {
      rows.add(new String[] {c.name(), c.status().wireName().toUpperCase(), c.found()});
    }
    table(rows);
    for (PreflightCheck c : checks) {
      if (c.remedy() != null && !c.remedy().isEmpty()) {
        out.println("  " + c.name() + ": " + c.remedy());
      }
    }
  }

  void event(SandboxEvent e) {
    out.println(e.time() + " " + e.id() + " " + e.from() + " -> " + e.to() + (e.reason() == null ? "" : " (" + e.reason() + ")"));
    out.flush();
  }

  private static String[] row(String k, String v) {
    return new String[] {k, v};
  }

  private static String join(List<?> items) {
    List<String> s = new ArrayList<>();
    for (Object o : items) {
      s.add(o.toString());
    }
    return String.join(", ", s);
  }

  static String str(Object o) {
    if (o == null) {
      return "-";
    }
    if (o instanceof Instant) {
      return ((Instant) o).toString();
    }
    return o.toString();
  }

  /** Left-aligned columns two spaces apart; the last column is not padded. */
  void table(List<String[]> rows) {
    int cols = rows.get(0).length;
    int[] width = new int[cols];
    for (String[] r : rows) {
      for (int i = 0; i < cols; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < cols; i++) {
        sb.append(r[i]);
        if (i < cols - 1) {
          sb.append(" ".repeat(width[i] - r[i].length() + 2));
        }
      }
      out.println(sb.toString().stripTrailing());
    }
    out.flush();
  }
}
