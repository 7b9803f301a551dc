package io.stockade.supervisor.preflight;

import java.nio.file.Path;

/**
 * Runs the /dev/kvm check in a child JVM started with fewer privileges than the test (root
 * without CAP_DAC_OVERRIDE): the test JVM itself cannot drop them, since setuid/capset in a
 * multithreaded JVM would demote every thread of the test run.
 */
final class KvmDeviceCheckChild {
  private KvmDeviceCheckChild() {}

  public static void main(String[] args) {
    KvmDeviceCheck.Outcome outcome = KvmDeviceCheck.check(Path.of(args[0]));
    CheckResult r = outcome.results().get(0);
    System.out.println("answers=" + outcome.answers());
    System.out.println("status=" + r.status());
    System.out.println("found=" + r.found());
    System.out.println("remedy=" + r.remedy());
  }
}
