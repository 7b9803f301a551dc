package io.stockade.supervisor.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.client.CheckStatus;
import io.stockade.client.PreflightCheck;
import io.stockade.client.Replies;
import io.stockade.client.varlink.VarlinkJson;
import io.stockade.supervisor.preflight.CheckResult;
import io.stockade.supervisor.preflight.PreflightReport;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The daemon's wire form as the client decodes it. */
class WireTest {
  @Test
  void anOkChecksEmptyRemedyReachesTheClientAsNull() throws Exception {
    PreflightReport report = new PreflightReport(List.of(
        CheckResult.ok("net.tun", "/dev/net/tun char 10:200"),
        CheckResult.warn("net.firewall", "ip engine FORWARD", "accept the sandbox interfaces")),
        PreflightReport.KvmVerdict.UNAVAILABLE);
    ObjectNode wire = Wire.preflight(report);
    Replies.Preflight decoded = VarlinkJson.decode(wire, Replies.Preflight.class);
    assertThat(decoded.checks()).containsExactly(
        new PreflightCheck("net.tun", CheckStatus.OK, "/dev/net/tun char 10:200", null),
        new PreflightCheck("net.firewall", CheckStatus.WARN, "ip engine FORWARD", "accept the sandbox interfaces"));
  }
}
