package io.stockade.supervisor.vmm.cloudhypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.support.UnixHttpClient;
import io.stockade.supervisor.vmm.support.Versions;
import java.io.IOException;
import java.util.Optional;

/**
 * Typed calls of cloud-hypervisor's REST API (vmm/src/api/openapi/cloud-hypervisor.yaml), all
 * under /api/v1. Errors come back as 4xx/5xx with a text or JSON body, passed on verbatim.
 */
final class CloudHypervisorApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BASE = "/api/v1/";
  private final UnixHttpClient http;
  private final String version;

  CloudHypervisorApi(UnixHttpClient http, String version) {
    this.http = http;
    this.version = version;
  }

  static CloudHypervisorApi connect(UnixHttpClient http, JsonNode ping) {
    // VmmPingResponse requires "version"; an answer without it is not cloud-hypervisor's.
    return new CloudHypervisorApi(http, ping.path("version").asText("unknown"));
  }

  String version() {
    return version;
  }

  /** What vm.create needs; paths are the jail's. */
  record VmConfig(int vcpus, long memoryMiB, String kernel, Optional<String> initramfs, String cmdline,
      Optional<String> disk, Optional<String> tap, Optional<String> mac, int vsockCid, String vsockSocket,
      String serialFile) {}

  void create(VmConfig c) throws VmmException {
    ObjectNode b = JSON.createObjectNode();
    b.putObject("cpus").put("boot_vcpus", c.vcpus()).put("max_vcpus", c.vcpus());
    b.putObject("memory").put("size", c.memoryMiB() * 1024 * 1024);
    if (Versions.atLeast(version, 28, 0)) {
      ObjectNode p = b.putObject("payload").put("kernel", c.kernel()).put("cmdline", c.cmdline());
      c.initramfs().ifPresent(i -> p.put("initramfs", i));
    } else {
      // Before v28 the boot payload was three separate objects.
      b.putObject("kernel").put("path", c.kernel());
      b.putObject("cmdline").put("args", c.cmdline());
      c.initramfs().ifPresent(i -> b.putObject("initramfs").put("path", i));
    }
    c.disk().ifPresent(d -> b.putArray("disks").addObject().put("path", d));
    c.tap().ifPresent(t -> {
      ObjectNode n = b.putArray("net").addObject().put("tap", t);
      c.mac().ifPresent(m -> n.put("mac", m));
    });
    b.putObject("vsock").put("cid", c.vsockCid()).put("socket", c.vsockSocket());
    b.putObject("serial").put("mode", "File").put("file", c.serialFile());
    b.putObject("console").put("mode", "Off");
    call("PUT", "vm.create", b);
  }

  void boot() throws VmmException {
    call("PUT", "vm.boot", null);
  }

  void powerButton() throws VmmException {
    call("PUT", "vm.power-button", null);
  }

  void shutdown() throws VmmException {
    call("PUT", "vm.shutdown", null);
  }

  void pause() throws VmmException {
    call("PUT", "vm.pause", null);
  }

  void resume() throws VmmException {
    call("PUT", "vm.resume", null);
  }

  void snapshot(String destinationDir) throws VmmException {
    call("PUT", "vm.snapshot", JSON.createObjectNode().put("destination_url", "file://" + destinationDir));
  }

  void restore(String sourceDir) throws VmmException {
    call("PUT", "vm.restore", JSON.createObjectNode().put("source_url", "file://" + sourceDir));
  }

  /** "Created", "Running", "Shutdown", "Paused". */
  String state() throws VmmException {
    return call("GET", "vm.info", null).path("state").asText();
  }

  private JsonNode call(String method, String endpoint, ObjectNode body) throws VmmException {
    UnixHttpClient.Response r;
    try {
      r = http.send(method, BASE + endpoint, body == null ? null : JSON.writeValueAsString(body));
    } catch (IOException e) {
      throw new VmmException("cloud-hypervisor " + endpoint + ": " + e.getMessage(), e);
    }
    if (!r.ok()) {
      throw new VmmException("cloud-hypervisor " + endpoint + " answered " + r.status()
          + (r.reason().isEmpty() ? "" : " " + r.reason()) + ": " + r.body().strip());
    }
    try {
      return r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
    } catch (IOException e) {
      throw new VmmException("cloud-hypervisor " + endpoint + ": unreadable answer: " + r.body(), e);
    }
  }
}
