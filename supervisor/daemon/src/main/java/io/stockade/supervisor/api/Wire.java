package io.stockade.supervisor.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.policy.EgressRule;
import io.stockade.supervisor.lifecycle.SandboxEvent;
import io.stockade.supervisor.lifecycle.SandboxView;
import io.stockade.supervisor.lifecycle.Snapshots;
import io.stockade.supervisor.preflight.CheckResult;
import io.stockade.supervisor.preflight.PreflightReport;
import java.util.List;
import java.util.Locale;

/** Renders lifecycle values as the io.stockade.Supervisor interface's types. */
public final class Wire {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private Wire() {}

  public static ObjectNode sandbox(SandboxView v) {
    ObjectNode o = F.objectNode();
    o.put("id", v.id());
    o.put("name", v.name());
    o.put("kind", v.kind());
    o.put("ownerUid", v.ownerUid());
    o.put("state", v.state().wireName());
    putOpt(o, "reason", v.reason());
    if (v.exitStatus() != null) {
      o.put("exitStatus", v.exitStatus());
    }
    putOpt(o, "image", v.image());
    o.put("vcpus", v.vcpus());
    o.put("memoryMiB", v.memoryMiB());
    o.set("egress", egress(v.egress()));
    ArrayNode dns = o.putArray("dnsNames");
    v.dnsNames().forEach(dns::add);
    o.put("createdAt", v.createdAt());
    putOpt(o, "startedAt", v.startedAt());
    putOpt(o, "stoppedAt", v.stoppedAt());
    if (v.network() != null) {
      o.putObject("network")
          .put("guestAddress", v.network().guestAddress())
          .put("gateway", v.network().gateway())
          .put("mac", v.network().mac());
    }
    if (v.limits() != null) {
      SandboxView.Limits l = v.limits();
      ObjectNode lo = o.putObject("limits")
          .put("pids", l.pids())
          .put("ioReadBytesPerSec", l.ioReadBytesPerSec())
          .put("ioWriteBytesPerSec", l.ioWriteBytesPerSec());
      if (!l.cpus().isEmpty()) {
        lo.put("cpus", l.cpus());
      }
      lo.put("netBytesPerSec", l.netBytesPerSec()).put("netPacketsPerSec", l.netPacketsPerSec());
      lo.put("openFiles", l.openFiles());
      ArrayNode disks = lo.putArray("dataDisks");
      l.dataDiskMiB().forEach(mib -> disks.addObject().put("sizeMiB", mib));
    }
    if (v.stats() != null) {
      o.putObject("stats")
          .put("cpuMicros", v.stats().cpuMicros())
          .put("memoryBytes", v.stats().memoryBytes())
          .put("txBytes", v.stats().txBytes())
          .put("rxBytes", v.stats().rxBytes());
    }
    return o;
  }

  public static ArrayNode sandboxes(List<SandboxView> vs) {
    ArrayNode a = F.arrayNode();
    vs.forEach(v -> a.add(sandbox(v)));
    return a;
  }

  static ArrayNode egress(List<EgressRule> rules) {
    ArrayNode a = F.arrayNode();
    for (EgressRule r : rules) {
      a.addObject().put("cidr", r.cidr()).put("protocol", r.protocol()).put("portFrom", r.portFrom()).put("portTo", r.portTo());
    }
    return a;
  }

  static ObjectNode event(SandboxEvent e) {
    ObjectNode o = F.objectNode();
    o.put("id", e.id());
    o.put("from", e.from() == null ? e.to().wireName() : e.from().wireName());
    o.put("to", e.to().wireName());
    putOpt(o, "reason", e.reason());
    o.put("time", e.time());
    return o;
  }

  public static ObjectNode snapshot(Snapshots.View s) {
    ObjectNode o = F.objectNode();
    o.put("id", s.id());
    o.put("name", s.name());
    o.put("sandboxId", s.sandboxId());
    o.put("kind", s.kind());
    putOpt(o, "image", s.image());
    o.put("ownerUid", s.ownerUid());
    o.put("vcpus", s.vcpus());
    o.put("memoryMiB", s.memoryMiB());
    o.put("sizeBytes", s.sizeBytes());
    o.put("createdAt", s.createdAt());
    return o;
  }

  public static ArrayNode snapshots(List<Snapshots.View> vs) {
    ArrayNode a = F.arrayNode();
    vs.forEach(v -> a.add(snapshot(v)));
    return a;
  }

  static ObjectNode preflight(PreflightReport r) {
    ObjectNode o = F.objectNode();
    ArrayNode checks = o.putArray("checks");
    for (CheckResult c : r.checks()) {
      ObjectNode n = checks.addObject();
      n.put("name", c.name());
      n.put("status", c.status().name().toLowerCase(Locale.ROOT));
      n.put("found", c.found());
      // CheckResult.remedy is "" when ok; the protocol's remedy is ?string, absent (the client's
      // null) when there is nothing to do.
      if (c.remedy() != null && !c.remedy().isEmpty()) {
        n.put("remedy", c.remedy());
      }
    }
    return o;
  }

  private static void putOpt(ObjectNode o, String k, String v) {
    if (v != null) {
      o.put(k, v);
    }
  }
}
