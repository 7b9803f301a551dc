package io.stockade.supervisor.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.policy.RateLimit;
import java.util.ArrayList;
import java.util.List;

/**
 * A sandbox's {@link RateLimit} as nftables {@code limit rate over ... drop} statements: one token
 * bucket per limited field, one set for what the guest sends and one for what it receives. The
 * statements are anonymous (their bucket lives in the rule), so replacing the rules in the same
 * transaction as the allowlist replaces the limits atomically, and the read-back sees them as part
 * of the rule they sit in.
 *
 * <p>Bursts. Bytes: {@code max(rate, 64 KiB)}, so that one full GSO/TSO segment (up to 64 KiB,
 * which the forward path sees as one packet) always fits. Packets: {@code rate}, one second's
 * worth. The kernel's bucket for a byte limit holds rate + burst (nft_limit.c: tokens_max =
 * unit * (rate + burst) / rate); for a packet limit it holds burst packets. The values allowed
 * are in {@link RateBounds}.
 */
final class RateRules {
  static final long MIN_BYTE_BURST = 65_536;

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private RateRules() {}

  /**
   * The limit statements for one direction, packets first: a flood of small packets then dies
   * without spending the byte bucket. Each is to be followed by a drop verdict.
   */
  static List<JsonNode> statements(RateLimit rate) {
    List<JsonNode> out = new ArrayList<>();
    if (rate.packetsPerSecond() > 0) {
      out.add(overPackets(rate.packetsPerSecond()));
    }
    if (rate.bytesPerSecond() > 0) {
      out.add(overBytes(rate.bytesPerSecond()));
    }
    return out;
  }

  static ObjectNode overBytes(long bytesPerSecond) {
    ObjectNode l = F.objectNode().put("rate", bytesPerSecond).put("per", "second")
        .put("rate_unit", "bytes").put("burst", Math.max(bytesPerSecond, MIN_BYTE_BURST))
        .put("burst_unit", "bytes").put("inv", true);
    return wrap(l);
  }

  static ObjectNode overPackets(long packetsPerSecond) {
    ObjectNode l = F.objectNode().put("rate", packetsPerSecond).put("per", "second")
        .put("rate_unit", "packets").put("burst", packetsPerSecond).put("inv", true);
    return wrap(l);
  }

  private static ObjectNode wrap(ObjectNode limit) {
    ObjectNode o = F.objectNode();
    o.set("limit", limit);
    return o;
  }

  /**
   * One limit statement in a normal form, whichever units nft chose to print it in (it prints
   * 2048 bytes/second back as 2 kbytes/second and leaves out a packet limit's unit), so that what
   * was meant and what was read back compare as strings.
   */
  static String describe(JsonNode limit) {
    boolean packets = limit.path("rate_unit").asText("packets").equals("packets");
    long rate = limit.path("rate").asLong() * unit(limit.path("rate_unit").asText("packets"));
    long burst = limit.path("burst").asLong()
        * unit(limit.path("burst_unit").asText(packets ? "packets" : "bytes"));
    return "limit " + (limit.path("inv").asBoolean(false) ? "over " : "") + rate
        + (packets ? " packets/" : " bytes/") + limit.path("per").asText() + " burst " + burst;
  }

  private static long unit(String name) {
    switch (name) {
      case "kbytes":
        return 1024L;
      case "mbytes":
        return 1024L * 1024;
      default:
        // "bytes" and "packets"; anything else shows up as a difference, since the rate we meant
        // was never printed in an unknown unit
        return name.equals("bytes") || name.equals("packets") ? 1 : -1;
    }
  }
}
