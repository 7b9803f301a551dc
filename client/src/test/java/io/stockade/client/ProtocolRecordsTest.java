package io.stockade.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.client.varlink.MalformedMessageException;
import io.stockade.client.varlink.VarlinkJson;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProtocolRecordsTest {

  private static ObjectNode json(String text) throws Exception {
    return VarlinkJson.parseObject(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void whatTheCallerLeavesOutStaysTheServersToDecide() throws Exception {
    Requests.Create c = VarlinkJson.decode(json("{\"spec\":{\"kind\":\"qemu\"}}"), Requests.Create.class);
    SandboxSpec s = c.spec();
    assertThat(s.kind()).isEqualTo(SandboxKind.QEMU);
    assertThat(s.image()).isNull();
    assertThat(s.vcpus()).isZero();
    assertThat(s.memoryMiB()).isZero();
    assertThat(s.readyTimeoutSeconds()).isZero();
    assertThat(s.egress()).isEmpty();
    assertThat(s.network()).isFalse();
    // null for a "?int" means default, as absent does
    SandboxSpec withNull = VarlinkJson.decode(json("{\"kind\":\"process\",\"vcpus\":null}"), SandboxSpec.class);
    assertThat(withNull.vcpus()).isZero();
    // Zeros are left out of the JSON, so the server's defaults apply to them.
    assertThat(VarlinkJson.encode(SandboxSpec.vm(SandboxKind.QEMU, null)).toString())
        .isEqualTo("{\"kind\":\"qemu\",\"command\":[],\"egress\":[],\"dnsNames\":[],\"network\":false}");
  }

  @Test
  void specRoundTripsThroughJson() throws Exception {
    SandboxSpec spec = SandboxSpec.vm(SandboxKind.CLOUD_HYPERVISOR, "default")
        .withName("web")
        .withResources(2, 512)
        .withNetwork(List.of(Egress.parse("10.0.0.0/8:tcp:443")), List.of("example.org"));
    ObjectNode node = VarlinkJson.encode(spec);
    assertThat(node.get("kind").asText()).isEqualTo("cloud-hypervisor");
    assertThat(node.get("egress").get(0).get("portFrom").asInt()).isEqualTo(443);
    assertThat(VarlinkJson.decode(node, SandboxSpec.class)).isEqualTo(spec);
    assertThat(node.has("dataDisks")).as("empty data disks are left out").isFalse();
    SandboxSpec withDisks = spec.withDataDisks(List.of(DataDisk.ofMiB(10), DataDisk.ofMiB(20)));
    ObjectNode n2 = VarlinkJson.encode(withDisks);
    assertThat(n2.get("dataDisks").get(1).get("sizeMiB").asLong()).isEqualTo(20);
    assertThat(VarlinkJson.decode(n2, SandboxSpec.class)).isEqualTo(withDisks);
    assertThat(node.has("pids") || node.has("ioReadBytesPerSec") || node.has("ioWriteBytesPerSec"))
        .as("zero limits are left out, so an older server accepts the request").isFalse();
    SandboxSpec limited = spec.withLimits(64, 0, 4096);
    ObjectNode n3 = VarlinkJson.encode(limited);
    assertThat(n3.get("pids").asLong()).isEqualTo(64);
    assertThat(n3.has("ioReadBytesPerSec")).isFalse();
    assertThat(n3.get("ioWriteBytesPerSec").asLong()).isEqualTo(4096);
    assertThat(VarlinkJson.decode(n3, SandboxSpec.class)).isEqualTo(limited);
    assertThatThrownBy(() -> spec.withLimits(-1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThat(node.has("cpus") || node.has("netBytesPerSec") || node.has("netPacketsPerSec"))
        .as("no pinning and no rates are left out, so an older server accepts the request").isFalse();
    SandboxSpec placed = spec.withCpus(" 2-3 ").withNetRate(125000, 0);
    ObjectNode n4 = VarlinkJson.encode(placed);
    assertThat(n4.get("cpus").asText()).isEqualTo("2-3");
    assertThat(n4.get("netBytesPerSec").asLong()).isEqualTo(125000);
    assertThat(n4.has("netPacketsPerSec")).isFalse();
    assertThat(VarlinkJson.decode(n4, SandboxSpec.class)).isEqualTo(placed);
    assertThat(spec.withCpus("  ").cpus()).as("blank is none").isNull();
    assertThatThrownBy(() -> spec.withNetRate(0, -1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VarlinkJson.decode(json("{\"spec\":{\"kind\":\"qemu\",\"dataDisks\":[{\"sizeMiB\":0}]}}"),
        Requests.Create.class)).isInstanceOf(MalformedMessageException.class);
  }

  @Test
  void unknownFieldsWrongTypesAndBadValuesNameTheParameter() {
    assertThatThrownBy(() -> VarlinkJson.decode(json("{\"spec\":{\"kind\":\"qemu\",\"vcpu\":2}}"), Requests.Create.class))
        .isInstanceOfSatisfying(MalformedMessageException.class, e -> assertThat(e.parameter()).contains("spec.vcpu"));
    assertThatThrownBy(() -> VarlinkJson.decode(json("{\"spec\":{\"kind\":\"qemu\",\"vcpus\":\"2\"}}"), Requests.Create.class))
        .isInstanceOfSatisfying(MalformedMessageException.class, e -> assertThat(e.parameter()).contains("spec.vcpus"));
    assertThatThrownBy(() -> VarlinkJson.decode(json("{\"spec\":{\"kind\":\"qemu\",\"vcpus\":2.5}}"), Requests.Create.class))
        .isInstanceOf(MalformedMessageException.class);
    assertThatThrownBy(() -> VarlinkJson.decode(json("{\"spec\":{\"kind\":\"vmware\"}}"), Requests.Create.class))
        .isInstanceOfSatisfying(MalformedMessageException.class, e -> {
          assertThat(e.parameter()).contains("spec.kind");
          assertThat(e).hasMessageContaining("vmware");
        });
    assertThatThrownBy(() -> VarlinkJson.decode(json("{\"spec\":{\"kind\":\"qemu\",\"egress\":[{\"cidr\":\"10.0.0.0/8\",\"protocol\":\"tcp\",\"portFrom\":0,\"portTo\":0}]}}"), Requests.Create.class))
        .isInstanceOfSatisfying(MalformedMessageException.class, e -> {
          assertThat(e.parameter()).hasValueSatisfying(p -> assertThat(p).startsWith("spec.egress"));
          assertThat(e).hasMessageContaining("1 <= portFrom");
        });
    assertThatThrownBy(() -> VarlinkJson.decode(json("{}"), Requests.ById.class))
        .isInstanceOf(MalformedMessageException.class).hasMessageContaining("id");
  }

  @Test
  void scalarsAreNotCoercedIntoOtherTypes() {
    for (String bad : new String[] {"{\"id\":5}", "{\"id\":true}", "{\"id\":[\"a\"]}", "{\"id\":{}}", "{\"id\":1.5}"}) {
      assertThatThrownBy(() -> VarlinkJson.decode(json(bad), Requests.ById.class)).as(bad)
          .isInstanceOfSatisfying(MalformedMessageException.class, e -> assertThat(e.parameter()).contains("id"));
    }
    for (String bad : new String[] {"{\"id\":\"a\",\"graceful\":\"false\"}", "{\"id\":\"a\",\"graceful\":0}",
        "{\"id\":\"a\",\"timeoutSeconds\":true}", "{\"id\":\"a\",\"timeoutSeconds\":99999999999}"}) {
      assertThatThrownBy(() -> VarlinkJson.decode(json(bad), Requests.Stop.class)).as(bad)
          .isInstanceOf(MalformedMessageException.class);
    }
    assertThatThrownBy(() -> VarlinkJson.decode(json("{\"kind\":1}"), SandboxSpec.class)).isInstanceOf(MalformedMessageException.class);
    assertThatThrownBy(() -> VarlinkJson.decode(json("{\"kind\":\"qemu\",\"command\":\"/bin/sh\"}"), SandboxSpec.class))
        .isInstanceOf(MalformedMessageException.class);
    assertThatThrownBy(() -> VarlinkJson.decode(json("{\"kind\":\"qemu\",\"network\":\"yes\"}"), SandboxSpec.class))
        .isInstanceOf(MalformedMessageException.class);
  }

  @Test
  void serversDecodeRequestsThroughTheMethodTable() throws Exception {
    Record r = SupervisorMethod.STOP.decodeRequest(json("{\"id\":\"a\"}"));
    assertThat(r).isEqualTo(new Requests.Stop("a", null, true));
    assertThatThrownBy(() -> SupervisorMethod.CREATE.decodeRequest(json("{\"spec\":{\"kind\":\"qemu\",\"vcpus\":-1}}")))
        .isInstanceOfSatisfying(InvalidParameterException.class, e -> {
          assertThat(e.parameter()).isEqualTo("spec");
          assertThat(e.reason()).contains("must not be negative");
          InvalidParameterException back = (InvalidParameterException) RemoteErrors.fromReply(e.toReply());
          assertThat(back.reason()).contains("must not be negative");
          assertThat(back.parameter()).isEqualTo("spec");
        });
    assertThatThrownBy(() -> SupervisorMethod.PING.decodeRequest(json("{\"x\":1}")))
        .isInstanceOfSatisfying(InvalidParameterException.class, e -> assertThat(e.parameter()).isEqualTo("x"));
    assertThat(SupervisorMethod.LIST.encodeReply(new Replies.SandboxList(List.of())).toString()).isEqualTo("{\"sandboxes\":[]}");
    assertThatThrownBy(() -> SupervisorMethod.LIST.encodeReply(new Replies.Ping("1", 1))).isInstanceOf(IllegalArgumentException.class);
    assertThat(SupervisorMethod.byQualifiedName("io.stockade.Supervisor.UpdateEgress")).contains(SupervisorMethod.UPDATE_EGRESS);
    assertThat(SupervisorMethod.byQualifiedName("io.stockade.Supervisor.Nope")).isEmpty();
  }

  @Test
  void stopIsGracefulUnlessToldOtherwise() throws Exception {
    Requests.Stop stop = VarlinkJson.decode(json("{\"id\":\"a\"}"), Requests.Stop.class);
    assertThat(stop.graceful()).isTrue();
    assertThat(stop.timeoutSeconds()).as("absent: the server's default").isNull();
    assertThat(VarlinkJson.encode(stop).toString()).isEqualTo("{\"id\":\"a\",\"graceful\":true}");
    Requests.Stop hard = VarlinkJson.decode(json("{\"id\":\"a\",\"graceful\":false,\"timeoutSeconds\":3}"), Requests.Stop.class);
    assertThat(hard).isEqualTo(new Requests.Stop("a", 3, false));
    assertThat(VarlinkJson.decode(VarlinkJson.encode(hard), Requests.Stop.class)).isEqualTo(hard);
    assertThatThrownBy(() -> VarlinkJson.decode(json("{\"id\":\"a\",\"force\":true}"), Requests.Stop.class))
        .isInstanceOf(MalformedMessageException.class);
  }

  @Test
  void logsTailDefaultsAndZeroMeansOnlyNewOutput() throws Exception {
    assertThat(VarlinkJson.decode(json("{\"id\":\"a\"}"), Requests.Logs.class).tail()).isEqualTo(100);
    assertThat(VarlinkJson.decode(json("{\"id\":\"a\",\"tail\":0}"), Requests.Logs.class).tail()).isZero();
  }

  @Test
  void sandboxInfoRoundTripsWithTimestampsAndOmitsNulls() throws Exception {
    SandboxInfo info = new SandboxInfo("sb-1", "web", SandboxKind.QEMU, 1000, SandboxState.RUNNING, null, null,
        "default", 1, 256, List.of(), List.of(), Instant.parse("2026-11-26T13:00:00Z"),
        Instant.parse("2026-11-26T13:00:03.5Z"), null, new NetworkInfo("10.200.0.2/30", "10.200.0.1", "02:00:00:00:00:01"),
        new SandboxStats(1, 2, 3, 4), new SandboxLimits(64, 0, 1048576, "1", 125000, 0, List.of(DataDisk.ofMiB(16)), 4096));
    ObjectNode node = VarlinkJson.encode(new Replies.Sandbox(info));
    assertThat(node.get("sandbox").get("limits").get("cpus").asText()).isEqualTo("1");
    assertThat(node.get("sandbox").get("limits").get("dataDisks").get(0).get("sizeMiB").asLong()).isEqualTo(16);
    assertThat(node.get("sandbox").get("createdAt").asText()).isEqualTo("2026-11-26T13:00:00Z");
    assertThat(node.get("sandbox").get("state").asText()).isEqualTo("running");
    assertThat(node.get("sandbox").has("stoppedAt")).isFalse();
    assertThat(VarlinkJson.decode(node, Replies.Sandbox.class).sandbox()).isEqualTo(info);
    ((ObjectNode) node.get("sandbox")).put("createdAt", "yesterday");
    assertThatThrownBy(() -> VarlinkJson.decode(node, Replies.Sandbox.class))
        .isInstanceOfSatisfying(MalformedMessageException.class, e -> assertThat(e.parameter()).contains("sandbox.createdAt"));
  }

  @Test
  void lenientDecodingIgnoresNewReplyFieldsOnly() throws Exception {
    ObjectNode reply = json("{\"version\":\"0.2\",\"protocolVersion\":1,\"features\":[\"x\"]}");
    assertThat(VarlinkJson.decodeLenient(reply, Replies.Ping.class)).isEqualTo(new Replies.Ping("0.2", 1));
    assertThatThrownBy(() -> VarlinkJson.decode(reply, Replies.Ping.class)).isInstanceOf(MalformedMessageException.class);
    assertThatThrownBy(() -> VarlinkJson.decodeLenient(json("{\"version\":\"0.2\",\"protocolVersion\":\"1\"}"), Replies.Ping.class))
        .isInstanceOf(MalformedMessageException.class);
  }

  @Test
  void egressCliFormParsesAndPrints() {
    assertThat(Egress.parse("10.0.0.0/8:tcp:443")).isEqualTo(new Egress("10.0.0.0/8", "tcp", 443, 443));
    assertThat(Egress.parse("10.0.0.0/8:udp:53-54")).isEqualTo(new Egress("10.0.0.0/8", "udp", 53, 54));
    assertThat(Egress.parse("2001:db8::/32:tcp:80")).isEqualTo(new Egress("2001:db8::/32", "tcp", 80, 80));
    assertThat(Egress.parse("0.0.0.0/0:icmp")).isEqualTo(new Egress("0.0.0.0/0", "icmp", 0, 0));
    assertThat(Egress.parse("192.168.1.0/24")).isEqualTo(new Egress("192.168.1.0/24", "tcp", 1, 65535));
    assertThat(Egress.parse("10.0.0.0/8:tcp:443").toString()).isEqualTo("10.0.0.0/8:tcp:443");
    assertThatThrownBy(() -> Egress.parse("example.org:443")).hasMessageContaining("CIDR");
    assertThatThrownBy(() -> Egress.parse("10.0.0.0/8:sctp:1")).hasMessageContaining("sctp");
    assertThatThrownBy(() -> Egress.parse("10.0.0.0/8:tcp:http")).hasMessageContaining("http");
  }

  @Test
  void errorsRoundTripThroughReplies() {
    StockadeException e = new LaunchFailedException("sb-1", "boot", "no readiness line in 60s", "tsc: Unable to calibrate");
    StockadeException back = RemoteErrors.fromReply(e.toReply());
    assertThat(back).isInstanceOf(LaunchFailedException.class).hasMessage(e.getMessage());
    assertThat(((LaunchFailedException) back).consoleTail()).isEqualTo("tsc: Unable to calibrate");
    StockadeException state = RemoteErrors.fromReply(new InvalidStateException("a", SandboxState.STOPPED, "pause").toReply());
    assertThat(((InvalidStateException) state).current()).isEqualTo(SandboxState.STOPPED);
    StockadeException unknown = RemoteErrors.fromReply(io.stockade.client.varlink.VarlinkReply.error("x.y.New", VarlinkJson.newObject()));
    assertThat(unknown).isInstanceOf(UnknownErrorException.class);
    assertThat(unknown.errorName()).isEqualTo("x.y.New");
    assertThat(unknown.isRemote()).isTrue();
  }
}
