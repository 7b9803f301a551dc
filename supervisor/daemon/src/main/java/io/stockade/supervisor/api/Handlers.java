package io.stockade.supervisor.api;

import io.stockade.supervisor.lifecycle.SandboxSpec;
import java.util.List;
import java.util.Set;

/** The io.stockade.Supervisor method names and the Create spec's wire form. */
final class Handlers {
  static final Set<String> NAMES =
      Set.of(
          "Preflight", "Create", "Start", "Stop", "Kill", "Destroy", "Get", "List", "Logs", "Events",
          "Pause", "Resume", "Snapshot", "ListSnapshots", "Restore", "UpdateEgress", "WriteConsole");

  static final String[] SPEC_FIELDS = {
    "kind", "name", "image", "command", "vcpus", "memoryMiB", "egress", "dnsNames", "network",
    "readyTimeoutSeconds", "dataDisks", "pids", "ioReadBytesPerSec", "ioWriteBytesPerSec", "cpus",
    "netBytesPerSec", "netPacketsPerSec"
  };

  private Handlers() {}

  static SandboxSpec spec(Params p) throws ApiError {
    Boolean network = p.bool("network");
    List<String> command = p.strings("command");
    String name = p.string("name", false);
    return new SandboxSpec(
        p.string("kind", true),
        name == null ? "" : name,
        p.string("image", false),
        command,
        (int) p.integer("vcpus", 0, 0, 1024),
        p.integer("memoryMiB", 0, 0, 1L << 30),
        p.egress("egress"),
        p.strings("dnsNames"),
        network != null && network,
        (int) p.integer("readyTimeoutSeconds", 0, 0, 86400),
        p.dataDisks("dataDisks"),
        p.integer("pids", 0, 0, 4L << 20),
        p.integer("ioReadBytesPerSec", 0, 0, 1L << 40),
        p.integer("ioWriteBytesPerSec", 0, 0, 1L << 40),
        p.string("cpus", false),
        // Range checks beyond "a non-negative integer" are the policy's IntentSyntax, naming the range.
        p.integer("netBytesPerSec", 0, 0, Long.MAX_VALUE),
        p.integer("netPacketsPerSec", 0, 0, Long.MAX_VALUE),
        0); // openFiles: the policy's to set, not the request's
  }
}
