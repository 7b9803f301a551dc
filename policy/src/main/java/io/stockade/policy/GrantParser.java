package io.stockade.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/** Validates one rule's {@code grant} object into a {@link Grant}; see docs/policy.md. */
final class GrantParser {
  private static final Set<String> FIELDS = Set.of("kinds", "images", "commands", "maxSandboxes",
      "maxVcpus", "maxMemoryMiB", "totalVcpus", "totalMemoryMiB", "egress", "dnsNames",
      "maxDataDisks", "maxDataDiskMiB", "maxPids", "maxIoBytesPerSec", "cpus", "maxNetBytesPerSec",
      "maxNetPacketsPerSec", "openFiles");
  private static final Set<String> EGRESS_FIELDS = Set.of("cidr", "protocol", "ports");

  private final Problems problems;

  GrantParser(Problems problems) {
    this.problems = problems;
  }

  Grant parse(JsonNode node, String at) {
    ObjectNode grant = problems.object(node, at, FIELDS);
    if (grant == null) {
      return Rule.NOTHING;
    }
    Set<String> kinds = strings(grant, at, "kinds", true, Syntax::kind);
    Set<String> images = strings(grant, at, "images", false, s -> Syntax.imageRef(s, true));
    Set<String> commands = strings(grant, at, "commands", false, s -> Syntax.commandPath(s, true));
    boolean creates = !kinds.isEmpty();
    Long sandboxes = problems.integer(grant, at, "maxSandboxes", 1, RuleParser.MAX_SANDBOXES, creates);
    Long vcpus = problems.integer(grant, at, "maxVcpus", 1, Syntax.MAX_VCPUS, creates);
    Long memory = problems.integer(grant, at, "maxMemoryMiB", 1, Syntax.MAX_MEMORY_MIB, creates);
    Long totalVcpus =
        problems.integer(grant, at, "totalVcpus", 1, RuleParser.MAX_TOTAL_VCPUS, false);
    Long totalMemory =
        problems.integer(grant, at, "totalMemoryMiB", 1, RuleParser.MAX_TOTAL_MEMORY_MIB, false);
    Long dataDisks = problems.integer(grant, at, "maxDataDisks", 0, Syntax.MAX_DATA_DISKS, false);
    Long dataDiskMiB =
        problems.integer(grant, at, "maxDataDiskMiB", 1, Syntax.MAX_DATA_DISK_MIB, false);
    Long pids = problems.integer(grant, at, "maxPids", 1, Syntax.MAX_PIDS, false);
    Long io = problems.integer(grant, at, "maxIoBytesPerSec", 1, Syntax.MAX_IO_BYTES_PER_SEC, false);
    Long netBytes = problems.integer(grant, at, "maxNetBytesPerSec", Syntax.MIN_NET_BYTES_PER_SEC,
        Syntax.MAX_NET_BYTES_PER_SEC, false);
    Long netPackets = problems.integer(grant, at, "maxNetPacketsPerSec", Syntax.MIN_NET_PACKETS_PER_SEC,
        Syntax.MAX_NET_PACKETS_PER_SEC, false);
    Long openFiles = problems.integer(grant, at, "openFiles", Syntax.MIN_OPEN_FILES, Syntax.MAX_OPEN_FILES, false);
    CpuList cpus = cpus(grant, at);
    List<EgressRule> egress = egress(grant, at);
    Set<String> dnsNames = strings(grant, at, "dnsNames", false, Syntax::dnsPattern);

    if (kinds.contains("process") && isEmpty(grant, "commands")) {
      problems.add(Problems.child(at, "commands"), "the process kind is granted but no program: "
          + "list the absolute paths it may run, or \"*\" for any");
    }
    if (kinds.stream().anyMatch(k -> !k.equals("process")) && isEmpty(grant, "images")) {
      problems.add(Problems.child(at, "images"), "a VM kind is granted but no image: "
          + "list the images it may boot, or \"*\" for any");
    }
    if (dataDisks != null && dataDisks > 0 && !grant.has("maxDataDiskMiB")) {
      problems.add(Problems.child(at, "maxDataDiskMiB"), "maxDataDisks is " + dataDisks
          + " but no size limit is given: add maxDataDiskMiB, the largest disk in MiB");
    }
    long s = sandboxes == null ? 0 : sandboxes;
    long v = vcpus == null ? 0 : vcpus;
    long m = memory == null ? 0 : memory;
    long tv = totalVcpus != null ? totalVcpus : Math.min(s * v, RuleParser.MAX_TOTAL_VCPUS);
    long tm = totalMemory != null ? totalMemory : Math.min(s * m, RuleParser.MAX_TOTAL_MEMORY_MIB);
    if (totalVcpus != null && vcpus != null && totalVcpus < vcpus) {
      problems.add(Problems.child(at, "totalVcpus"), "totalVcpus " + totalVcpus
          + " is less than maxVcpus " + vcpus + ": no sandbox could use its per-sandbox limit");
    }
    if (totalMemory != null && memory != null && totalMemory < memory) {
      problems.add(Problems.child(at, "totalMemoryMiB"), "totalMemoryMiB " + totalMemory
          + " is less than maxMemoryMiB " + memory + ": no sandbox could use its per-sandbox limit");
    }
    return new Grant(kinds, images, (int) s, (int) v, m, (int) tv, tm, egress,
        List.copyOf(dnsNames), List.copyOf(commands),
        dataDisks == null ? 0 : dataDisks.intValue(), dataDiskMiB == null ? 0 : dataDiskMiB,
        pids == null ? 0 : pids, io == null ? 0 : io, cpus,
        new RateLimit(netBytes == null ? 0 : netBytes, netPackets == null ? 0 : netPackets),
        openFiles == null ? 0 : openFiles);
  }

  /** Absent: no restriction. Present: a non-empty CPU list in the kernel's format ("0-3,6"). */
  private CpuList cpus(ObjectNode grant, String at) {
    String text = problems.string(grant, at, "cpus", false);
    if (text == null) {
      return CpuList.NONE;
    }
    String where = Problems.child(at, "cpus");
    try {
      CpuList c = CpuList.parse(text);
      if (c.isEmpty()) {
        problems.add(where, "must name at least one CPU (like \"0-3\"); leave cpus out for no restriction");
      }
      return c;
    } catch (IllegalArgumentException e) {
      problems.add(where, e.getMessage());
      return CpuList.NONE;
    }
  }

  /** Absent or []: entries that are present but invalid are reported on their own. */
  private static boolean isEmpty(ObjectNode grant, String field) {
    JsonNode node = grant.get(field);
    return node == null || (node.isArray() && node.isEmpty());
  }

  /** A string array field whose entries each pass {@code check} (null = valid) and are unique. */
  private Set<String> strings(
      ObjectNode grant, String at, String field, boolean required, Function<String, String> check) {
    Set<String> out = new LinkedHashSet<>();
    List<JsonNode> nodes = problems.array(grant, at, field, required);
    for (int i = 0; i < nodes.size(); i++) {
      String p = Problems.child(Problems.child(at, field), i);
      String value = problems.string(nodes.get(i), p);
      if (value == null) {
        continue;
      }
      String reason = check.apply(value);
      if (reason != null) {
        problems.add(p, reason);
      } else if (!out.add(value)) {
        problems.add(p, "'" + Problems.shorten(value) + "' is listed twice");
      }
    }
    return out;
  }

  private List<EgressRule> egress(ObjectNode grant, String at) {
    List<EgressRule> out = new ArrayList<>();
    List<JsonNode> nodes = problems.array(grant, at, "egress", false);
    for (int i = 0; i < nodes.size(); i++) {
      String p = Problems.child(Problems.child(at, "egress"), i);
      EgressRule rule = egressRule(nodes.get(i), p);
      if (rule == null) {
        continue;
      }
      if (out.contains(rule)) {
        problems.add(p, "the same egress rule is listed twice");
      } else {
        out.add(rule);
      }
    }
    return out;
  }

  private EgressRule egressRule(JsonNode node, String at) {
    ObjectNode obj = problems.object(node, at, EGRESS_FIELDS);
    if (obj == null) {
      return null;
    }
    String cidrText = problems.string(obj, at, "cidr", true);
    String protocol = problems.string(obj, at, "protocol", true);
    Cidr cidr = null;
    if (cidrText != null) {
      try {
        cidr = Cidr.parse(cidrText);
        if (!cidr.toString().equals(cidrText)) {
          problems.add(Problems.child(at, "cidr"), "CIDR '" + cidrText
              + "' is not in canonical form: write " + cidr);
          cidr = null;
        }
      } catch (IllegalArgumentException e) {
        problems.add(Problems.child(at, "cidr"), e.getMessage());
      }
    }
    if (protocol != null && !Syntax.PROTOCOLS.contains(protocol)) {
      problems.add(Problems.child(at, "protocol"), "unknown protocol '"
          + Problems.shorten(protocol) + "': expected tcp, udp or icmp");
      protocol = null;
    }
    int[] ports = protocol == null ? null : ports(obj, at, protocol);
    if (cidr == null || ports == null) {
      return null;
    }
    return new EgressRule(cidr.toString(), protocol, ports[0], ports[1]);
  }

  /** "443", "8000-8100" or 443; icmp takes none. */
  private int[] ports(ObjectNode obj, String at, String protocol) {
    JsonNode node = obj.get("ports");
    String p = Problems.child(at, "ports");
    if (protocol.equals("icmp")) {
      if (node != null) {
        problems.add(p, "icmp has no ports: remove the field");
        return null;
      }
      return new int[] {0, 0};
    }
    if (node == null) {
      problems.add(p, "required for " + protocol + ": a port (\"443\") or a range (\"8000-8100\"), "
          + "\"1-65535\" for all");
      return null;
    }
    String text;
    if (node.isIntegralNumber()) {
      text = node.asText();
    } else if (node.isTextual()) {
      text = node.textValue();
    } else {
      problems.add(p, "must be a port or a range as a string, got " + Problems.typeOf(node));
      return null;
    }
    int dash = text.indexOf('-');
    int from = port(dash < 0 ? text : text.substring(0, dash));
    int to = dash < 0 ? from : port(text.substring(dash + 1));
    String reason = from < 0 || to < 0
        ? "'" + Problems.shorten(text) + "' is not a port (\"443\") or a range (\"8000-8100\")"
        : Syntax.ports(from, to);
    if (reason != null) {
      problems.add(p, reason);
      return null;
    }
    return new int[] {from, to};
  }

  /** A plain decimal of at most 5 digits, no sign or leading zero; -1 otherwise. */
  private static int port(String s) {
    if (s.isEmpty() || s.length() > 5 || (s.length() > 1 && s.charAt(0) == '0')
        || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    return Integer.parseInt(s);
  }
}
