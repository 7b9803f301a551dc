package io.stockade.supervisor.preflight;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Each configured VMM binary: present, executable, and what `--version` says. Missing is a
 * failure for a kind the configuration uses, a warning otherwise. The "process" kind runs the
 * workload itself and needs no binary.
 */
final class VmmBinaryChecks {
  private static final Map<String, String> INSTALL =
      Map.of(
          "qemu", "apt-get install qemu-system-x86",
          "firecracker", "install the firecracker binary at the configured path (vmm.firecracker in /etc/stockade/stockade.json)",
          "cloud-hypervisor", "install the cloud-hypervisor binary at the configured path (vmm.cloud-hypervisor in /etc/stockade/stockade.json)");

  private VmmBinaryChecks() {}

  static List<CheckResult> check(Map<String, Path> binaries, Set<String> needed) {
    Set<String> kinds = new TreeSet<>(binaries.keySet());
    kinds.addAll(needed);
    kinds.remove("process");
    List<CheckResult> results = new ArrayList<>();
    for (String kind : kinds) {
      results.add(check(kind, binaries.get(kind), needed.contains(kind)));
    }
    return results;
  }

  private static CheckResult check(String kind, Path binary, boolean needed) {
    String id = "vmm." + kind;
    String remedy = INSTALL.getOrDefault(kind, "install the " + kind + " binary at the configured path");
    String role = needed ? " (used by the configuration)" : " (not used by the configuration)";
    if (binary == null) {
      return problem(needed, id, "no binary configured for " + kind + role, remedy);
    }
    if (!Files.exists(binary)) {
      return problem(needed, id, binary + " missing" + role, remedy);
    }
    if (!Files.isRegularFile(binary) || !Files.isExecutable(binary)) {
      return problem(needed, id, binary + " is not an executable file" + role, "chmod 0755 " + binary);
    }
    Commands.Result v = Commands.run(Duration.ofSeconds(5), List.of(binary.toString(), "--version"));
    if (!v.ok()) {
      return problem(needed, id, binary + " --version " + v.describeFailure() + role, remedy);
    }
    return CheckResult.ok(id, binary + ": " + v.firstLine());
  }

  private static CheckResult problem(boolean needed, String id, String found, String remedy) {
    return needed ? CheckResult.fail(id, found, remedy) : CheckResult.warn(id, found, remedy);
  }
}
