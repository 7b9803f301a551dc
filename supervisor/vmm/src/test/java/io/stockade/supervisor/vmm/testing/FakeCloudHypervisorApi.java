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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * Stands in for cloud-hypervisor's REST API (its binary cannot run here). Checks every request
 * against vmm/src/api/openapi/cloud-hypervisor.yaml as transcribed below (VmConfig and its parts,
 * unknown fields refused, payload only from v28, the older kernel/cmdline/initramfs objects
 * before) and the order rules: vm.create before vm.boot, no second vm.create, vm.restore only in
 * a VMM with no VM, pause only when running, resume only when paused, snapshot only when paused.
 * Status codes follow the spec (404 not created, 405 wrong state); bodies are error text.
 */
public final class FakeCloudHypervisorApi implements FakeUnixHttpServer.Handler {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String version;
  private final Function<String, Path> jailPaths;
  private final FakeGuest guest;
  private final List<String> violations = new CopyOnWriteArrayList<>();
  private JsonNode config;
  private String state = "None";

  public FakeCloudHypervisorApi(String version, Function<String, Path> jailPaths, FakeGuest guest) {
    this.version = version;
    this.jailPaths = jailPaths;
    this.guest = guest;
  }

  public List<String> violations() {
    return List.copyOf(violations);
  }

  public synchronized String state() {
    return state;
  }

  private static JsonShape console(String name) {
    return JsonShape.object(name).reqEnum("mode", "Off", "Pty", "Tty", "File", "Socket", "Null")
        .opt("file", STRING).opt("socket", STRING).opt("iommu", BOOLEAN).opt("id", STRING);
  }

  private JsonShape vmConfig() {
    JsonShape s = JsonShape.object("VmConfig")
        .optObject("cpus", JsonShape.object("CpusConfig").reqInt("boot_vcpus", 1, 255).reqInt("max_vcpus", 1, 255)
            .opt("kvm_hyperv", BOOLEAN).opt("max_phys_bits", INTEGER).opt("nested", BOOLEAN))
        .optObject("memory", JsonShape.object("MemoryConfig").req("size", INTEGER).opt("hotplug_size", INTEGER)
            .opt("mergeable", BOOLEAN).opt("shared", BOOLEAN).opt("hugepages", BOOLEAN).opt("prefault", BOOLEAN)
            .opt("thp", BOOLEAN))
        .optArray("disks", JsonShape.object("DiskConfig").opt("path", STRING).opt("readonly", BOOLEAN)
            .opt("direct", BOOLEAN).opt("iommu", BOOLEAN).opt("num_queues", INTEGER).opt("queue_size", INTEGER)
            .opt("id", STRING).opt("serial", STRING).opt("sparse", BOOLEAN)
            .optEnum("image_type", "FlatVmdk", "FixedVhd", "Qcow2", "Raw", "Vhdx", "Unknown"))
        .optArray("net", JsonShape.object("NetConfig").opt("tap", STRING).opt("ip", STRING).opt("mask", STRING)
            .opt("mac", STRING).opt("host_mac", STRING).opt("mtu", INTEGER).opt("num_queues", INTEGER)
            .opt("queue_size", INTEGER).opt("id", STRING))
        .optObject("rng", JsonShape.object("RngConfig").req("src", STRING).opt("iommu", BOOLEAN))
        .optObject("serial", console("SerialConfig")).optObject("console", console("ConsoleConfig"))
        .optObject("vsock", JsonShape.object("VsockConfig").reqInt("cid", 3, 0xffffffffL).req("socket", STRING)
            .opt("iommu", BOOLEAN).opt("id", STRING))
        .opt("iommu", BOOLEAN).opt("watchdog", BOOLEAN).opt("pvpanic", BOOLEAN);
    if (Versions.atLeast(version, 28, 0)) {
      return s.reqObject("payload", JsonShape.object("PayloadConfig").opt("firmware", STRING).opt("kernel", STRING)
          .opt("cmdline", STRING).opt("initramfs", STRING));
    }
    return s.reqObject("kernel", JsonShape.object("KernelConfig").req("path", STRING))
        .optObject("cmdline", JsonShape.object("CmdlineConfig").req("args", STRING))
        .optObject("initramfs", JsonShape.object("InitramfsConfig").req("path", STRING));
  }

  private static final JsonShape SNAPSHOT = JsonShape.object("VmSnapshotConfig").opt("destination_url", STRING);
  private static final JsonShape RESTORE = JsonShape.object("RestoreConfig").req("source_url", STRING)
      .opt("prefault", BOOLEAN).optEnum("memory_restore_mode", "Copy", "OnDemand", "CopyOnWrite").opt("resume", BOOLEAN);

  @Override
  public synchronized FakeUnixHttpServer.Response handle(FakeUnixHttpServer.Request r) {
    JsonNode body;
    try {
      body = r.body().isEmpty() ? null : JSON.readTree(r.body());
    } catch (IOException e) {
      return error(400, "Error parsing JSON: " + e.getMessage());
    }
    String route = r.method() + " " + r.path();
    switch (route) {
      case "GET /api/v1/vmm.ping":
        com.fasterxml.jackson.databind.node.ObjectNode ping = JSON.createObjectNode()
            .put("build_version", "v" + version).put("version", version).put("pid", ProcessHandle.current().pid());
        ping.putArray("features");
        return new FakeUnixHttpServer.Response(200, "OK", ping.toString());
      case "GET /api/v1/vm.info":
        if (config == null) {
          return error(404, "VM is not created");
        }
        return new FakeUnixHttpServer.Response(200, "OK",
            JSON.createObjectNode().put("state", state).set("config", config).toString());
      case "PUT /api/v1/vm.create":
        return create(body);
      case "PUT /api/v1/vm.boot":
        return transition(List.of("Created"), "Running", () -> guest.boot());
      case "PUT /api/v1/vm.power-button":
        return transition(List.of("Running"), "Shutdown", () -> guest.powerButton());
      case "PUT /api/v1/vm.shutdown":
        return transition(List.of("Running", "Paused"), "Shutdown", () -> {});
      case "PUT /api/v1/vm.pause":
        return transition(List.of("Running"), "Paused", () -> {});
      case "PUT /api/v1/vm.resume":
        return transition(List.of("Paused"), "Running", () -> {});
      case "PUT /api/v1/vm.snapshot":
        return snapshot(body);
      case "PUT /api/v1/vm.restore":
        return restore(body);
      default:
        return error(404, "Not Found: " + route);
    }
  }

  private FakeUnixHttpServer.Response create(JsonNode body) {
    List<String> problems = vmConfig().check(body);
    if (!problems.isEmpty()) {
      return error(400, "Error parsing VmConfig: " + problems);
    }
    if (config != null) {
      return error(400, "VM is already created");
    }
    FakeUnixHttpServer.Response missing = filesExist(body);
    if (missing != null) {
      return missing;
    }
    config = body;
    state = "Created";
    return noContent();
  }

  private FakeUnixHttpServer.Response filesExist(JsonNode c) {
    List<String> paths = new java.util.ArrayList<>();
    paths.add(c.has("payload") ? c.path("payload").path("kernel").asText() : c.path("kernel").path("path").asText());
    if (c.path("payload").has("initramfs")) {
      paths.add(c.path("payload").path("initramfs").asText());
    }
    c.path("disks").forEach(d -> paths.add(d.path("path").asText()));
    for (String p : paths) {
      if (!Files.exists(jailPaths.apply(p))) {
        return error(500, "Error booting VM: cannot open " + p + ": No such file or directory (os error 2)");
      }
    }
    if (c.path("serial").path("mode").asText().equals("File")) {
      guest.printTo(jailPaths.apply(c.path("serial").path("file").asText()));
    }
    return null;
  }

  private FakeUnixHttpServer.Response transition(List<String> from, String to, Runnable effect) {
    if (config == null) {
      return error(404, "VM is not created");
    }
    if (!from.contains(state)) {
      return error(405, "VM is " + state + ", expected one of " + from);
    }
    state = to;
    effect.run();
    return noContent();
  }

  private FakeUnixHttpServer.Response snapshot(JsonNode body) {
    List<String> problems = body == null ? List.of("no body") : SNAPSHOT.check(body);
    if (!problems.isEmpty()) {
      return error(400, "Error parsing VmSnapshotConfig: " + problems);
    }
    if (config == null) {
      return error(404, "VM is not created");
    }
    if (!state.equals("Paused")) {
      return error(405, "Error snapshotting the VM: VM is not paused");
    }
    Path dir = jailPaths.apply(body.get("destination_url").asText().replaceFirst("^file://", ""));
    try {
      Files.writeString(dir.resolve("config.json"), config.toString());
      Files.writeString(dir.resolve("state.json"), "{\"fake_cloud_hypervisor\":\"" + version + "\"}");
      Files.write(dir.resolve("memory-ranges"), guest.saveMemory());
    } catch (IOException e) {
      return error(500, "Error snapshotting the VM: " + e.getMessage());
    }
    return noContent();
  }

  private FakeUnixHttpServer.Response restore(JsonNode body) {
    List<String> problems = body == null ? List.of("no body") : RESTORE.check(body);
    if (!problems.isEmpty()) {
      return error(400, "Error parsing RestoreConfig: " + problems);
    }
    if (config != null) {
      return error(404, "VM is already created");
    }
    Path dir = jailPaths.apply(body.get("source_url").asText().replaceFirst("^file://", ""));
    try {
      JsonNode saved = JSON.readTree(Files.readString(dir.resolve("config.json")));
      FakeUnixHttpServer.Response missing = filesExist(saved);
      if (missing != null) {
        return missing;
      }
      guest.loadMemory(Files.readAllBytes(dir.resolve("memory-ranges")));
      config = saved;
    } catch (IOException e) {
      return error(400, "Error restoring the VM: " + e.getMessage());
    }
    state = body.path("resume").asBoolean(false) ? "Running" : "Paused";
    return noContent();
  }

  private static FakeUnixHttpServer.Response noContent() {
    return new FakeUnixHttpServer.Response(204, "No Content", null);
  }

  private FakeUnixHttpServer.Response error(int status, String message) {
    violations.add(status + " " + message);
    return new FakeUnixHttpServer.Response(status, "", message);
  }
}
