package io.stockade.supervisor.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every configuration key, in the order `config --print` and docs/daemon.md list them. */
final class ConfigKeys {
  private ConfigKeys() {}

  static final List<ConfigKey> ALL =
      List.of(
          ConfigKey.path("stateDir", "/var/lib/stockade/state", "STOCKADE_STATE_DIR", "durable state: one JSON file per sandbox"),
          ConfigKey.path("sandboxesDir", "/var/lib/stockade/sandboxes", "STOCKADE_SANDBOXES_DIR", "one directory per sandbox: disks, console"),
          ConfigKey.path("snapshotsDir", "/var/lib/stockade/snapshots", "STOCKADE_SNAPSHOTS_DIR", "one directory per snapshot"),
          ConfigKey.path("imageDir", "/var/lib/stockade/images", "STOCKADE_IMAGE_DIR", "content-addressed image store"),
          ConfigKey.path("runDir", "/run/stockade", "STOCKADE_RUN_DIR", "runtime files (lost at reboot)"),
          ConfigKey.path("jailsDir", "/var/lib/stockade/jails", "STOCKADE_JAILS_DIR", "jail roots, one per sandbox"),
          ConfigKey.path("socketPath", "/run/stockade/stockade.sock", "STOCKADE_SOCKET", "API socket (ignored under socket activation)"),
          ConfigKey.string("socketGroup", "stockade", "STOCKADE_SOCKET_GROUP", "group owning the API socket, if it exists"),
          ConfigKey.string("socketMode", "0660", "STOCKADE_SOCKET_MODE", "octal mode of the API socket"),
          ConfigKey.path("policyDir", "/etc/stockade/policy.d", "STOCKADE_POLICY_DIR", "policy files (*.json); SIGHUP reloads"),
          ConfigKey.strings("catalogFiles", List.of("/usr/share/stockade/catalog.json"), "STOCKADE_CATALOG", "image catalogs (env: colon-separated)"),
          ConfigKey.path("vmm.qemu", "/usr/bin/qemu-system-x86_64", "STOCKADE_QEMU", "QEMU binary"),
          ConfigKey.path("vmm.firecracker", "/usr/local/bin/firecracker", "STOCKADE_FIRECRACKER", "Firecracker binary"),
          ConfigKey.path("vmm.cloud-hypervisor", "/usr/local/bin/cloud-hypervisor", "STOCKADE_CLOUD_HYPERVISOR", "cloud-hypervisor binary"),
          ConfigKey.string("defaults.image", "", null, "image for VM sandboxes that name none (empty: the catalog's default)"),
          ConfigKey.string("defaults.kernel", "", null, "kernel overriding the image's (empty: the image's)"),
          ConfigKey.string("defaults.rootfs", "", null, "root filesystem overriding the image's (empty: the image's)"),
          ConfigKey.integer("defaults.vcpus", 1, null, "vCPUs when a request names none"),
          ConfigKey.integer("defaults.memoryMiB", 256, null, "memory when a request names none"),
          ConfigKey.integer("defaults.readyTimeoutSeconds", 60, null, "how long Start waits for readiness"),
          ConfigKey.integer("defaults.pids", 0, null, "pids limit when a request names none (0: process 256, VMs 512)"),
          ConfigKey.integer("defaults.ioReadBytesPerSec", 0, null, "read bandwidth limit when neither request nor grant sets one (0: unlimited)"),
          ConfigKey.integer("defaults.ioWriteBytesPerSec", 0, null, "write bandwidth limit when neither request nor grant sets one (0: unlimited)"),
          ConfigKey.string("defaults.cpus", "", null, "host CPUs to pin sandboxes to when neither request nor grant names any, e.g. 2-7 to keep 0-1 for the host (empty: not pinned)"),
          ConfigKey.integer("defaults.netBytesPerSec", 0, null, "network rate limit, bytes/s each direction, when neither request nor grant sets one (0: none; else 1500..4294967295)"),
          ConfigKey.integer("defaults.netPacketsPerSec", 0, null, "network rate limit, packets/s each direction, when neither request nor grant sets one (0: none; else 10..10000000)"),
          ConfigKey.integer("stop.gracefulSeconds", 10, "STOCKADE_STOP_GRACEFUL_SECONDS", "Stop: wait after asking the guest to power off"),
          ConfigKey.integer("stop.termSeconds", 5, "STOCKADE_STOP_TERM_SECONDS", "Stop: wait after SIGTERM before killing"),
          ConfigKey.integer("stop.drainSeconds", 30, "STOCKADE_DRAIN_SECONDS", "shutdown: budget to stop every sandbox"),
          ConfigKey.integer("uidRange.first", 900000, null, "first uid workloads run as"),
          ConfigKey.integer("uidRange.count", 65536, null, "uids in the range (most sandboxes at once)"),
          ConfigKey.bool("network.enabled", true, "STOCKADE_NETWORK", "build sandbox networks at all (false: only sandboxes without network; nothing is set up on the host)"),
          ConfigKey.string("network.hostNetns", "", null, "namespace sandboxes route through (empty: the host's)"),
          ConfigKey.string("network.addressPool", "10.213.0.0/16", null, "IPv4 pool for sandbox links"),
          ConfigKey.string("network.namePrefix", "stk", null, "prefix of every namespace and link the network creates (1-9 of [a-z0-9-]); two supervisors on one host need different ones"),
          ConfigKey.string("network.hostTable", "stockade", null, "name of the host-side nftables table (inet family)"),
          ConfigKey.string("network.uplink", "", null, "interface sandbox traffic is masqueraded to (empty: no NAT, route the pool yourself)"),
          ConfigKey.string("network.resolver", "", null, "the one DNS server guests may use (empty: no DNS)"),
          ConfigKey.string("monitor.listen", "", "STOCKADE_MONITOR_LISTEN", "read-only HTTP: 127.0.0.1:PORT or a socket path; empty = off"),
          ConfigKey.integer("api.maxConnections", 64, null, "connections served at once"),
          ConfigKey.integer("api.maxFrameBytes", 1048576, null, "largest message accepted"),
          ConfigKey.integer("api.readTimeoutSeconds", 300, null, "idle or half-sent connections are closed after this"),
          ConfigKey.integer("console.lines", 2000, null, "console lines kept per sandbox"),
          ConfigKey.strings("preflight.neededKinds", List.of("process", "qemu"), null, "kinds whose missing VMM binary is a failure, not a warning"),
          ConfigKey.string("preflight.bootProbeKernel", "", null, "kernel for the KVM boot probe (empty: no probe; KVM is then not used)"),
          ConfigKey.string("preflight.bootProbeInitrd", "", null, "initramfs for the KVM boot probe"),
          ConfigKey.string("preflight.bootProbeReadyLine", "STOCKADE-READY", null, "console line the probe guest prints when it is ready"),
          ConfigKey.integer("preflight.bootProbeTimeoutSeconds", 30, null, "KVM boot probe timeout"));

  static Map<String, ConfigKey> byName() {
    Map<String, ConfigKey> m = new LinkedHashMap<>();
    for (ConfigKey k : ALL) {
      m.put(k.name(), k);
    }
    return m;
  }
}
