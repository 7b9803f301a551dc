package io.stockade.policy;

import java.util.List;

/**
 * Syntax checks of a create request, for the daemon to run before asking the {@link Authorizer}:
 * a request that fails here is malformed (InvalidParameter), not refused by policy.
 */
public final class IntentSyntax {
  private IntentSyntax() {}

  /** Checks every field the policy reasons about; throws on the first malformed one. */
  public static void check(Authorizer.CreateIntent intent) throws InvalidIntentException {
    String reason = Syntax.kind(intent.kind());
    if (reason != null) {
      throw new InvalidIntentException("kind", reason);
    }
    if (intent.kind().equals("process")) {
      if (intent.command().isEmpty()) {
        throw new InvalidIntentException("command", "the process kind needs a command to run");
      }
      fail("command[0]", Syntax.commandPath(intent.command().get(0), false));
    } else {
      fail("image", Syntax.imageRef(intent.image(), false));
    }
    if (intent.vcpus() < 1 || intent.vcpus() > Syntax.MAX_VCPUS) {
      throw new InvalidIntentException("vcpus", "must be from 1 to 1024, got " + intent.vcpus());
    }
    if (intent.memoryMiB() < 1 || intent.memoryMiB() > Syntax.MAX_MEMORY_MIB) {
      throw new InvalidIntentException(
          "memoryMiB", "must be from 1 to " + Syntax.MAX_MEMORY_MIB + ", got " + intent.memoryMiB());
    }
    checkEgress(intent.egress());
    List<String> names = intent.dnsNames();
    for (int i = 0; i < names.size(); i++) {
      fail("dnsNames[" + i + "]", Syntax.dnsPattern(names.get(i)));
    }
    checkDataDisks(intent);
    range("pids", intent.pids(), Syntax.MAX_PIDS);
    range("ioReadBytesPerSec", intent.ioReadBytesPerSec(), Syntax.MAX_IO_BYTES_PER_SEC);
    range("ioWriteBytesPerSec", intent.ioWriteBytesPerSec(), Syntax.MAX_IO_BYTES_PER_SEC);
    rate("netBytesPerSec", intent.netRate().bytesPerSecond(), Syntax.MIN_NET_BYTES_PER_SEC,
        Syntax.MAX_NET_BYTES_PER_SEC);
    rate("netPacketsPerSec", intent.netRate().packetsPerSecond(), Syntax.MIN_NET_PACKETS_PER_SEC,
        Syntax.MAX_NET_PACKETS_PER_SEC);
  }

  /** 0 is "the default"; anything else must be within the network's range. */
  private static void rate(String parameter, long value, long min, long max) throws InvalidIntentException {
    if (value != 0 && (value < min || value > max)) {
      throw new InvalidIntentException(parameter, "must be 0 (none) or from " + min + " to " + max + ", got " + value);
    }
  }

  /** 0 means "the default", so it is valid; a negative or absurd limit is a malformed request. */
  private static void range(String parameter, long value, long max) throws InvalidIntentException {
    if (value < 0 || value > max) {
      throw new InvalidIntentException(parameter, "must be from 0 (the default) to " + max + ", got " + value);
    }
  }

  private static void checkDataDisks(Authorizer.CreateIntent intent) throws InvalidIntentException {
    List<Long> disks = intent.dataDiskMiB();
    if (!disks.isEmpty() && intent.kind().equals("process")) {
      throw new InvalidIntentException("dataDisks", "the process kind has no disks: "
          + "request data disks for a VM kind only");
    }
    if (disks.size() > Syntax.MAX_DATA_DISKS) {
      throw new InvalidIntentException("dataDisks", "at most " + Syntax.MAX_DATA_DISKS
          + " data disks, got " + disks.size());
    }
    for (int i = 0; i < disks.size(); i++) {
      long mib = disks.get(i);
      if (mib < 1 || mib > Syntax.MAX_DATA_DISK_MIB) {
        throw new InvalidIntentException("dataDisks[" + i + "].sizeMiB", "must be from 1 to "
            + Syntax.MAX_DATA_DISK_MIB + ", got " + mib);
      }
    }
  }

  /** Checks requested egress rules alone: canonical CIDR, known protocol, sane port range. */
  public static void checkEgress(List<EgressRule> egress) throws InvalidIntentException {
    for (int i = 0; i < egress.size(); i++) {
      fail("egress[" + i + "]", Syntax.egressRule(egress.get(i)));
    }
  }

  private static void fail(String parameter, String reason) throws InvalidIntentException {
    if (reason != null) {
      throw new InvalidIntentException(parameter, reason);
    }
  }
}
