package io.stockade.supervisor.vmm.firecracker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.support.UnixHttpClient;
import io.stockade.supervisor.vmm.support.Versions;
import java.io.IOException;
import java.util.Optional;

/**
 * Typed calls of Firecracker's API (src/firecracker/swagger/firecracker.yaml). Firecracker
 * rejects unknown fields, so each body holds only fields the running version knows: {@code
 * vmmVersion} (from GET /) selects between the old and new spelling where they differ.
 */
final class FirecrackerApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final UnixHttpClient http;
  private final String vmmVersion;

  FirecrackerApi(UnixHttpClient http, String vmmVersion) {
    this.http = http;
    this.vmmVersion = vmmVersion;
  }

  /** GET / returns InstanceInfo; its vmm_version decides which fields later calls may send. */
  static FirecrackerApi connect(UnixHttpClient http, JsonNode instanceInfo) {
    return new FirecrackerApi(http, instanceInfo.path("vmm_version").asText("1.0.0"));
  }

  String vmmVersion() {
    return vmmVersion;
  }

  /** "Not started", "Running" or "Paused". */
  String state() throws VmmException {
    return call("GET", "/", null).path("state").asText();
  }

  void putLogger(String logPath) throws VmmException {
    ObjectNode b = obj().put("log_path", logPath).put("level", "Info");
    b.put("show_level", true).put("show_log_origin", false);
    call("PUT", "/logger", b);
  }

  void putMetrics(String metricsPath) throws VmmException {
    call("PUT", "/metrics", obj().put("metrics_path", metricsPath));
  }

  void putMachineConfig(int vcpus, long memoryMiB) throws VmmException {
    call("PUT", "/machine-config", obj().put("vcpu_count", vcpus).put("mem_size_mib", memoryMiB));
  }

  void putBootSource(String kernel, Optional<String> initrd, String bootArgs) throws VmmException {
    ObjectNode b = obj().put("kernel_image_path", kernel).put("boot_args", bootArgs);
    initrd.ifPresent(i -> b.put("initrd_path", i));
    call("PUT", "/boot-source", b);
  }

  void putDrive(String id, String pathOnHost, boolean root, boolean readOnly) throws VmmException {
    call("PUT", "/drives/" + id, obj().put("drive_id", id).put("path_on_host", pathOnHost)
        .put("is_root_device", root).put("is_read_only", readOnly));
  }

  void putNetworkInterface(String id, String tap, String mac) throws VmmException {
    call("PUT", "/network-interfaces/" + id,
        obj().put("iface_id", id).put("host_dev_name", tap).put("guest_mac", mac));
  }

  void putVsock(int guestCid, String udsPath) throws VmmException {
    ObjectNode b = obj().put("guest_cid", guestCid).put("uds_path", udsPath);
    if (!Versions.atLeast(vmmVersion, 1, 0)) {
      b.put("vsock_id", "vsock0"); // required before v1.0, deprecated since
    }
    call("PUT", "/vsock", b);
  }

  void action(String actionType) throws VmmException {
    call("PUT", "/actions", obj().put("action_type", actionType));
  }

  void patchVm(String state) throws VmmException {
    call("PATCH", "/vm", obj().put("state", state));
  }

  void createSnapshot(String snapshotPath, String memFilePath) throws VmmException {
    call("PUT", "/snapshot/create", obj().put("snapshot_type", "Full")
        .put("snapshot_path", snapshotPath).put("mem_file_path", memFilePath));
  }

  /** Loads a full snapshot into a fresh Firecracker; {@code tap} re-points the NIC if given. */
  void loadSnapshot(String snapshotPath, String memFilePath, Optional<String> tap) throws VmmException {
    ObjectNode b = obj().put("snapshot_path", snapshotPath);
    if (Versions.atLeast(vmmVersion, 1, 0)) {
      b.putObject("mem_backend").put("backend_type", "File").put("backend_path", memFilePath);
    } else {
      b.put("mem_file_path", memFilePath);
    }
    b.put("resume_vm", true);
    if (tap.isPresent()) {
      if (!Versions.atLeast(vmmVersion, 1, 12)) {
        throw new VmmException("firecracker " + vmmVersion + " cannot re-point a restored NIC to TAP "
            + tap.get() + " (network_overrides needs v1.12): upgrade firecracker or restore without network");
      }
      b.putArray("network_overrides").addObject().put("iface_id", "eth0").put("host_dev_name", tap.get());
    }
    call("PUT", "/snapshot/load", b);
  }

  private static ObjectNode obj() {
    return JSON.createObjectNode();
  }

  private JsonNode call(String method, String path, ObjectNode body) throws VmmException {
    UnixHttpClient.Response r;
    try {
      r = http.send(method, path, body == null ? null : JSON.writeValueAsString(body));
    } catch (IOException e) {
      throw new VmmException("firecracker " + method + " " + path + ": " + e.getMessage(), e);
    }
    if (!r.ok()) {
      String fault = r.body();
      try {
        fault = JSON.readTree(r.body()).path("fault_message").asText(r.body());
      } catch (IOException e) {
        // Not JSON: keep the raw body.
      }
      throw new VmmException("firecracker " + method + " " + path + " answered " + r.status() + ": " + fault);
    }
    try {
      return r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
    } catch (IOException e) {
      throw new VmmException("firecracker " + method + " " + path + ": unreadable answer: " + r.body(), e);
    }
  }
}
