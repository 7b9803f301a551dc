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

  public static CheckResult ok(String name, String found) {
    return new CheckResult(name, Status.OK, found, "", false);
  }

  public static CheckResult warn(String name, String found, String remedy) {
    return new CheckResult(name, Status.WARN, found, remedy, false);
  }

  /** A failure that leaves some sandboxes possible (e.g. no nft: no network egress rules). */
  public static CheckResult fail(String name, String found, String remedy) {
    return new CheckResult(name, Status.FAIL, found, remedy, false);
  }

  /** A failure that makes every sandbox impossible: the daemon refuses to start. */
  public static CheckResult fatal(String name, String found, String remedy) {
    return new CheckResult(name, Status.FAIL, found, remedy, true);
  }
}
