package io.stockade.supervisor.net;

import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds the uplink when none is configured. */
final class Uplink {
  private static final Logger LOG = LoggerFactory.getLogger(Uplink.class);

  private Uplink() {}

  /**
   * No uplink configured: masquerade through the interface of the host namespace's default route;
   * with no default route, no NAT (the operator routes the pool).
   */
  static NetConfig defaultRoute(NetConfig config) throws NetworkException {
    String json = new Commands(config).ip(config.hostNetns(), "find default route", null, "-j",
        "-4", "route", "show", "default");
    try {
      for (JsonNode r : Nft.JSON.readTree(json)) {
        String dev = r.path("dev").asText("");
        if (!dev.isEmpty()) {
          LOG.info("sandbox traffic is masqueraded through {} (the default route's interface)",
              dev);
          return config.withUplink(dev);
        }
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new NetworkException("find default route", "cannot parse `ip -j route show default`: "
          + e.getMessage(), e);
    }
    LOG.warn("no default route and no uplink configured: sandbox traffic is not masqueraded");
    return config;
  }
}
