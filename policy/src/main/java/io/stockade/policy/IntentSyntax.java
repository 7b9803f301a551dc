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
