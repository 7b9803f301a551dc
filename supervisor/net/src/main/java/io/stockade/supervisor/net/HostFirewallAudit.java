package io.stockade.supervisor.net;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Read-only check of the host namespace's ruleset for chains that would drop sandbox traffic
 * (for preflight). It lists the ruleset and changes nothing. It reports chains by hook and
 * policy; it does not evaluate their rules, so a chain with a drop policy that already accepts
 * Stockade's veths is reported too (the remedy says what to check).
 */
public final class HostFirewallAudit {
  private HostFirewallAudit() {}

  /** Chains in other tables of {@code config}'s host namespace that may drop sandbox traffic. */
  public static List<FirewallConflict> conflicts(NetConfig config) throws NetworkException {
    Plumbing p = new Plumbing(config, new Commands(config));
    return conflicts(config, p.listRuleset());
  }

  static List<FirewallConflict> conflicts(NetConfig config, JsonNode ruleset) {
    List<FirewallConflict> out = new ArrayList<>();
    String veths = config.namePrefix() + "h*";
    for (JsonNode item : ruleset.path("nftables")) {
      JsonNode c = item.path("chain");
      if (c.isMissingNode() || !c.has("hook")) {
        continue;
      }
      String family = c.path("family").asText();
      String table = c.path("table").asText();
      if ((family.equals("inet") && table.equals(config.hostTable()))
          || !(family.equals("inet") || family.equals("ip"))) {
        continue;
      }
      String hook = c.path("hook").asText();
      String policy = c.path("policy").asText("accept");
      if (!policy.equals("drop")) {
        continue;
      }
      if (hook.equals("forward")) {
        out.add(new FirewallConflict(family, table, c.path("name").asText(), hook, policy,
            "chain drops forwarded packets by default: sandbox traffic (in on " + veths
                + ", out on the uplink, and the replies) passes only if it accepts it; add"
                + " `iifname \"" + veths + "\" accept` and `oifname \"" + veths + "\" ct state"
                + " established,related accept` there (Docker's FORWARD chain needs this too,"
                + " in DOCKER-USER)"));
      } else if (hook.equals("input") && config.resolver().isPresent()) {
        out.add(new FirewallConflict(family, table, c.path("name").asText(), hook, policy,
            "chain drops input by default: if the resolver " + config.resolver().get()
                + " runs on this host, accept port 53 from " + veths + " there"));
      }
    }
    return out;
  }
}
