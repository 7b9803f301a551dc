package io.stockade.supervisor.vmm.testing;

import static io.stockade.supervisor.vmm.testing.JsonShape.Type.BOOLEAN;
import static io.stockade.supervisor.vmm.testing.JsonShape.Type.INTEGER;
import static io.stockade.supervisor.vmm.testing.JsonShape.Type.STRING;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stockade.supervisor.vmm.support.Versions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * Stands in for Firecracker's API server (its binary cannot run here). Checks every request
 * against src/firecracker/swagger/firecracker.yaml as transcribed below (fields, types, enums,
 * required fields, unknown fields rejected as serde's deny_unknown_fields does) and Firecracker's
 * order rules: pre-boot-only resources, InstanceStart needs a boot source, PATCH /vm needs a
 * started VM, snapshot/create needs Paused, snapshot/load only in a fresh process. Errors are
 * 400 with {"fault_message": ...}; successes 204 with an empty reason and no Content-Length.
 * Paths in bodies are checked against the jail root, as Firecracker sees them.
 */
public final class FakeFirecrackerApi implements FakeUnixHttpServer.Handler {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String version;
  private final Function<String, Path> jailPaths;
  private final FakeGuest guest;
  private final List<String> violations = new CopyOnWriteArrayList<>();
  private final Set<String> configured = new HashSet<>();
  private String state = "Not started";

  /** @param jailPaths maps a path as Firecracker sees it in its jail to the host file */
  public FakeFirecrackerApi(String version, Function<String, Path> jailPaths, FakeGuest guest) {
    this.version = version;
    this.jailPaths = jailPaths;
    this.guest = guest;
  }

  /** Requests the real server would have refused. Tests assert this is empty. */
  public List<String> violations() {
    return List.copyOf(violations);
  }

  public synchronized String state() {
    return state;
  }

  private JsonShape logger() {
    JsonShape s = JsonShape.object("Logger").opt("log_path", STRING)
        .optEnum("level", "Error", "Warning", "Info", "Debug", "Trace", "Off")
        .opt("show_level", BOOLEAN).opt("show_log_origin", BOOLEAN);
    return Versions.atLeast(version, 1, 4) ? s.opt("module", STRING) : s;
  }

  private JsonShape vsock() {
    JsonShape s = JsonShape.object("Vsock").reqInt("guest_cid", 3, 0xffffffffL).req("uds_path", STRING);
    return Versions.atLeast(version, 1, 0) ? s.opt("vsock_id", STRING) : s.req("vsock_id", STRING);
  }

  private JsonShape snapshotLoad() {
    JsonShape s = JsonShape.object("SnapshotLoadParams").req("snapshot_path", STRING).opt("mem_file_path", STRING)
        .opt("enable_diff_snapshots", BOOLEAN).opt("resume_vm", BOOLEAN);
    if (Versions.atLeast(version, 1, 0)) {
      s.optObject("mem_backend", JsonShape.object("MemoryBackend").reqEnum("backend_type", "File", "Uffd")
          .req("backend_path", STRING));
    }
    if (Versions.atLeast(version, 1, 12)) {
      s.optArray("network_overrides", JsonShape.object("NetworkOverride").req("iface_id", STRING)
          .req("host_dev_name", STRING));
    }
    return s;
  }

  private static final JsonShape MACHINE = JsonShape.object("MachineConfiguration")
      .reqInt("vcpu_count", 1, 32).reqInt("mem_size_mib", 1, Integer.MAX_VALUE).opt("smt", BOOLEAN)
      .optEnum("cpu_template", "C3", "T2", "T2S", "T2CL", "T2A", "V1N1", "None").opt("track_dirty_pages", BOOLEAN)
      .optEnum("huge_pages", "None", "2M");
  private static final JsonShape BOOT = JsonShape.object("BootSource").req("kernel_image_path", STRING)
      .opt("boot_args", STRING).opt("initrd_path", STRING);
  private static final JsonShape DRIVE = JsonShape.object("Drive").req("drive_id", STRING).req("is_root_device", BOOLEAN)
      .opt("partuuid", STRING).optEnum("cache_type", "Unsafe", "Writeback").opt("is_read_only", BOOLEAN)
      .opt("path_on_host", STRING).optEnum("io_engine", "Sync", "Async").opt("socket", STRING);
  private static final JsonShape NIC = JsonShape.object("NetworkInterface").req("host_dev_name", STRING)
      .req("iface_id", STRING).opt("guest_mac", STRING);
  private static final JsonShape METRICS = JsonShape.object("Metrics").req("metrics_path", STRING);
  private static final JsonShape ACTION = JsonShape.object("InstanceActionInfo")
      .reqEnum("action_type", "FlushMetrics", "InstanceStart", "SendCtrlAltDel");
  private static final JsonShape VM = JsonShape.object("Vm").reqEnum("state", "Paused", "Resumed");
  private static final JsonShape SNAPSHOT_CREATE = JsonShape.object("SnapshotCreateParams")
      .req("mem_file_path", STRING).req("snapshot_path", STRING).optEnum("snapshot_type", "Full", "Diff");

  @Override
  public synchronized FakeUnixHttpServer.Response handle(FakeUnixHttpServer.Request r) {
    String route = r.method() + " " + r.path().replaceAll("^/(drives|network-interfaces)/.+$", "/$1/{id}");
    JsonNode body;
    try {
      body = r.body().isEmpty() ? null : JSON.readTree(r.body());
    } catch (IOException e) {
      return fault("Invalid JSON: " + e.getMessage());
    }
    switch (route) {
      case "GET /":
        return new FakeUnixHttpServer.Response(200, "", JSON.createObjectNode().put("app_name", "Firecracker")
            .put("id", "anonymous-instance").put("state", state).put("vmm_version", version).toString());
      case "PUT /logger":
        return once("logger", body, logger());
      case "PUT /metrics":
        return once("metrics", body, METRICS);
      case "PUT /machine-config":
        return preBoot("machine-config", body, MACHINE);
      case "PUT /boot-source": {
        FakeUnixHttpServer.Response e = preBoot("boot-source", body, BOOT);
        return e.status() == 204 ? requireFiles(body, "kernel_image_path", "initrd_path") : e;
      }
      case "PUT /drives/{id}": {
        FakeUnixHttpServer.Response e = idMatches(r.path(), body, "drive_id");
        e = e != null ? e : preBoot("drives", body, DRIVE);
        return e.status() == 204 ? requireFiles(body, "path_on_host") : e;
      }
      case "PUT /network-interfaces/{id}": {
        FakeUnixHttpServer.Response e = idMatches(r.path(), body, "iface_id");
        return e != null ? e : preBoot("network-interfaces", body, NIC);
      }
      case "PUT /vsock":
        return preBoot("vsock", body, vsock());
      case "PUT /actions":
        return action(body);
      case "PATCH /vm":
        return patchVm(body);
      case "PUT /snapshot/create":
        return snapshotCreate(body);
      case "PUT /snapshot/load":
        return snapshotLoad(body);
      default:
        return fault("Invalid request method and/or path: " + r.method() + " " + r.path() + ".");
    }
  }

  private FakeUnixHttpServer.Response shape(JsonNode body, JsonShape shape) {
    List<String> problems = shape.check(body);
    return problems.isEmpty() ? null : fault("An error occurred when deserializing the json body of a request: " + problems);
  }

  private FakeUnixHttpServer.Response once(String what, JsonNode body, JsonShape s) {
    FakeUnixHttpServer.Response e = shape(body, s);
    if (e != null) {
      return e;
    }
    if (!configured.add(what)) {
      return fault("Reinitialization of " + what + " is not allowed.");
    }
    return ok();
  }

  private FakeUnixHttpServer.Response preBoot(String what, JsonNode body, JsonShape s) {
    FakeUnixHttpServer.Response e = shape(body, s);
    if (e != null) {
      return e;
    }
    if (!state.equals("Not started")) {
      return fault("The requested operation is not supported after starting the microVM.");
    }
    configured.add(what);
    return ok();
  }

  private FakeUnixHttpServer.Response idMatches(String path, JsonNode body, String field) {
    String id = path.substring(path.lastIndexOf('/') + 1);
    if (body == null || !id.equals(body.path(field).asText())) {
      return fault("The id from the path [" + id + "] does not match the id from the body!");
    }
    return null;
  }

  private FakeUnixHttpServer.Response requireFiles(JsonNode body, String... fields) {
    for (String f : fields) {
      if (body.has(f) && !Files.exists(inJail(body.get(f).asText()))) {
        return fault("Cannot open " + body.get(f).asText() + ": No such file or directory (os error 2)");
      }
    }
    return ok();
  }

  private Path inJail(String path) {
    return jailPaths.apply(path.startsWith("/") ? path : "/" + path);
  }

  private FakeUnixHttpServer.Response action(JsonNode body) {
    FakeUnixHttpServer.Response e = shape(body, ACTION);
    if (e != null) {
      return e;
    }
    switch (body.get("action_type").asText()) {
      case "InstanceStart":
        if (!state.equals("Not started")) {
          return fault("The requested operation is not supported after starting the microVM.");
        }
        if (!configured.contains("boot-source")) {
          return fault("Cannot start microvm without kernel configuration.");
        }
        state = "Running";
        guest.boot();
        return ok();
      case "SendCtrlAltDel":
        if (!state.equals("Running")) {
          return fault("The requested operation is not supported before starting the microVM.");
        }
        guest.powerButton();
        return ok();
      default:
        return ok();
    }
  }

  private FakeUnixHttpServer.Response patchVm(JsonNode body) {
    FakeUnixHttpServer.Response e = shape(body, VM);
    if (e != null) {
      return e;
    }
    if (state.equals("Not started")) {
      return fault("The requested operation is not supported before starting the microVM.");
    }
    state = body.get("state").asText().equals("Paused") ? "Paused" : "Running";
    return ok();
  }

  private FakeUnixHttpServer.Response snapshotCreate(JsonNode body) {
    FakeUnixHttpServer.Response e = shape(body, SNAPSHOT_CREATE);
    if (e != null) {
      return e;
    }
    if (!state.equals("Paused")) {
      return fault("Create snapshot error: Cannot save the microVM state: the microVM is not paused.");
    }
    try {
      Files.writeString(inJail(body.get("snapshot_path").asText()), "{\"fake_firecracker_state\":\"" + version + "\"}");
      Files.write(inJail(body.get("mem_file_path").asText()), guest.saveMemory());
    } catch (IOException ex) {
      return fault("Create snapshot error: " + ex.getMessage());
    }
    return ok();
  }

  private FakeUnixHttpServer.Response snapshotLoad(JsonNode body) {
    FakeUnixHttpServer.Response e = shape(body, snapshotLoad());
    if (e != null) {
      return e;
    }
    boolean file = body.has("mem_file_path");
    if (file == body.has("mem_backend")) {
      return fault("Exactly one of mem_file_path and mem_backend must be present.");
    }
    Set<String> other = new HashSet<>(configured);
    other.removeAll(Set.of("logger", "metrics"));
    if (!state.equals("Not started") || !other.isEmpty()) {
      return fault("Loading a microVM snapshot not allowed after configuring boot-specific resources.");
    }
    String mem = file ? body.get("mem_file_path").asText() : body.get("mem_backend").get("backend_path").asText();
    try {
      if (!Files.readString(inJail(body.get("snapshot_path").asText())).contains("fake_firecracker_state")) {
        return fault("Load snapshot error: not a microVM state file");
      }
      guest.loadMemory(Files.readAllBytes(inJail(mem)));
    } catch (IOException ex) {
      return fault("Load snapshot error: Cannot open " + ex.getMessage());
    }
    state = body.path("resume_vm").asBoolean(false) ? "Running" : "Paused";
    return ok();
  }

  private FakeUnixHttpServer.Response ok() {
    return new FakeUnixHttpServer.Response(204, "", null);
  }

  private FakeUnixHttpServer.Response fault(String message) {
    violations.add(message);
    return new FakeUnixHttpServer.Response(400, "", JSON.createObjectNode().put("fault_message", message).toString());
  }
}
