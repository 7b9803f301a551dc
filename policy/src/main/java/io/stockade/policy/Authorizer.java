package io.stockade.policy;

import java.util.Optional;

/**
 * The policy in force. Immutable: a reload builds a new one and swaps it in, so a broken file on
 * reload leaves the previous one serving.
 */
public interface Authorizer {

  /** The subject's merged grant; empty when no policy names it (it may then only Ping). */
  Optional<Grant> grantFor(Subject subject);

  /**
   * Whether the subject may see and manage every sandbox, not just its own: root, and subjects
   * of a rule with {@code "admin": true}. Being admin grants no right to create.
   */
  default boolean isAdmin(Subject subject) {
    return subject.isRoot();
  }

  /**
   * Every rule's own grant (not merged) and where it is written, in file order: for checks of
   * whether this host can honour what the policy grants (preflight). Empty for the empty policy.
   */
  default java.util.List<SourcedGrant> grants() {
    return java.util.List.of();
  }

  /**
   * One rule's grant.
   *
   * @param source the file and the rule's JSON pointer, e.g. {@code /etc/stockade/policy.d/10-ci.json#/rules/2}
   */
  record SourcedGrant(String source, Grant grant) {}

  /**
   * The empty policy: nobody but root may do anything. For a daemon started before any policy
   * is installed; root keeps every right because it owns the host anyway.
   */
  static Authorizer empty() {
    return new PolicyAuthorizer(java.util.List.of(), java.util.List.of());
  }

  /**
   * Checks a create request against the subject's grant and what it already holds. Root is
   * allowed everything. Throws with the first reason the request is refused:
   * {@link QuotaExceededException} when only a quota (count or totals) stands in the way, a plain
   * {@link PolicyDeniedException} when the policy does not permit the request at all. The intent
   * must have passed {@link IntentSyntax#check} (a malformed one is a caller error).
   */
  void checkCreate(Subject subject, CreateIntent intent, Usage current) throws PolicyDeniedException;

  /**
   * What a create asks for, in policy terms.
   *
   * @param kind sandbox kind
   * @param image image reference, empty string for the process kind
   * @param command the process kind's argv (argv[0] is an absolute path), empty for VMs
   * @param vcpus requested vCPUs
   * @param memoryMiB requested memory
   * @param egress requested egress rules
   * @param dnsNames requested host names
   * @param dataDiskMiB sizes of the requested extra data disks, empty for none
   * @param pids requested pids limit, 0 for the daemon's default
   * @param ioReadBytesPerSec requested read bandwidth limit, 0 for none (or the grant's)
   * @param ioWriteBytesPerSec requested write bandwidth limit, 0 for none (or the grant's)
   * @param cpus the host CPUs the request pins the sandbox to, {@link CpuList#NONE} for none
   * @param netRate the requested network rate limit, 0 fields for none (or the grant's)
   */
  record CreateIntent(
      String kind,
      String image,
      java.util.List<String> command,
      int vcpus,
      long memoryMiB,
      java.util.List<EgressRule> egress,
      java.util.List<String> dnsNames,
      java.util.List<Long> dataDiskMiB,
      long pids,
      long ioReadBytesPerSec,
      long ioWriteBytesPerSec,
      CpuList cpus,
      RateLimit netRate) {

    public CreateIntent {
      dataDiskMiB = dataDiskMiB == null ? java.util.List.of() : java.util.List.copyOf(dataDiskMiB);
      cpus = cpus == null ? CpuList.NONE : cpus;
      netRate = netRate == null ? RateLimit.NONE : netRate;
    }

    /** An intent without CPU pinning or network rate limits. */
    public CreateIntent(String kind, String image, java.util.List<String> command, int vcpus,
        long memoryMiB, java.util.List<EgressRule> egress, java.util.List<String> dnsNames,
        java.util.List<Long> dataDiskMiB, long pids, long ioReadBytesPerSec, long ioWriteBytesPerSec) {
      this(kind, image, command, vcpus, memoryMiB, egress, dnsNames, dataDiskMiB, pids,
          ioReadBytesPerSec, ioWriteBytesPerSec, CpuList.NONE, RateLimit.NONE);
    }

    /** An intent without pids or I/O limits. */
    public CreateIntent(String kind, String image, java.util.List<String> command, int vcpus,
        long memoryMiB, java.util.List<EgressRule> egress, java.util.List<String> dnsNames,
        java.util.List<Long> dataDiskMiB) {
      this(kind, image, command, vcpus, memoryMiB, egress, dnsNames, dataDiskMiB, 0, 0, 0);
    }

    /** An intent without data disks. */
    public CreateIntent(String kind, String image, java.util.List<String> command, int vcpus,
        long memoryMiB, java.util.List<EgressRule> egress, java.util.List<String> dnsNames) {
      this(kind, image, command, vcpus, memoryMiB, egress, dnsNames, java.util.List.of());
    }
  }

  /** What the subject holds now, over all its sandboxes that are not destroyed. */
  record Usage(int sandboxes, int vcpus, long memoryMiB) {}
}
