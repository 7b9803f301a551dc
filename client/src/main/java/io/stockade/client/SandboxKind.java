package io.stockade.client;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What runs inside a sandbox. On the wire a string (the IDL's enum syntax forbids '-'). */
public enum SandboxKind {
  /** A program run directly in the jail, no VM. */
  PROCESS("process"),
  QEMU("qemu"),
  FIRECRACKER("firecracker"),
  CLOUD_HYPERVISOR("cloud-hypervisor");

  private final String wireName;

  SandboxKind(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  public String wireName() {
    return wireName;
  }

  @JsonCreator
  public static SandboxKind fromWireName(String name) {
    for (SandboxKind k : values()) {
      if (k.wireName.equals(name)) {
        return k;
      }
    }
    throw new IllegalArgumentException(
        "unknown sandbox kind '" + name + "': expected process, qemu, firecracker or cloud-hypervisor");
  }

  @Override
  public String toString() {
    return wireName;
  }
}
