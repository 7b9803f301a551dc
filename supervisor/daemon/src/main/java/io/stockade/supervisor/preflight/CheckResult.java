package io.stockade.supervisor.preflight;

/**
 * One preflight check.
 *
 * @param name short stable identifier, e.g. "kvm.open", "cap.net_admin", "cgroup.v2.memory"
 * @param status ok, warn or fail
 * @param found what was found, e.g. "/dev/kvm: crw-rw---- root:kvm"
 * @param remedy the exact fix when not ok, empty when ok
 * @param fatal whether this failure makes every sandbox impossible (the daemon refuses to start)
 */
public record CheckResult(String name, Status status, String found, String remedy, boolean fatal) {
  public enum Status {
    OK,
    WARN,
    FAIL
  }
}
