package io.stockade.supervisor.vmm;

import java.util.Locale;

/** The kinds of workload a sandbox can run. */
public enum VmmKind {
  /** A program run directly in the jail, no VM. */
  PROCESS("process"),
  QEMU("qemu"),
  FIRECRACKER("firecracker"),
  CLOUD_HYPERVISOR("cloud-hypervisor");

  private final String wireName;

  VmmKind(String wireName) {
    this.wireName = wireName;
  }

  /** The name used in the protocol, policy files and seccomp profile names. */
  public String wireName() {
    return wireName;
  }

  public static VmmKind fromWireName(String name) {
    for (VmmKind k : values()) {
      if (k.wireName.equals(name.toLowerCase(Locale.ROOT))) {
        return k;
      }
    }
    throw new IllegalArgumentException(
        "unknown sandbox kind '" + name + "': expected process, qemu, firecracker or cloud-hypervisor");
  }
}
