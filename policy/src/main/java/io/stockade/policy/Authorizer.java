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
   * Checks a create request against the subject's grant and what it already holds. Root is
   * allowed everything. Throws with the first reason the request is refused.
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
   */
  record CreateIntent(
      String kind,
      String image,
      java.util.List<String> command,
      int vcpus,
      long memoryMiB,
      java.util.List<EgressRule> egress,
      java.util.List<String> dnsNames) {}

  /** What the subject holds now, over all its sandboxes that are not destroyed. */
  record Usage(int sandboxes, int vcpus, long memoryMiB) {}
}
