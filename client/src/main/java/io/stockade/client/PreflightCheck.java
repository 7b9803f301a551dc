package io.stockade.client;

import java.util.Objects;

/**
 * One host check.
 *
 * @param name what was checked ({@code kvm}, {@code cgroup-v2}, {@code nft}, ...)
 * @param status ok, warn or fail
 * @param found what the check saw ("/dev/kvm exists but KVM_CREATE_VM hangs")
 * @param remedy what the operator should do, null when ok
 */
public record PreflightCheck(String name, CheckStatus status, String found, String remedy) {
  public PreflightCheck {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(found, "found");
  }
}
