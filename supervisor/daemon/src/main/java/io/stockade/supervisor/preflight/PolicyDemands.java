package io.stockade.supervisor.preflight;

import io.stockade.policy.Authorizer.SourcedGrant;
import io.stockade.policy.CpuList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the policy and the daemon's defaults will ask of this host, so preflight can say before
 * the first request whether it can be honoured (a request that cannot be confined as asked is
 * refused at Create or Start, never run with less: preflight says so up front).
 *
 * @param grants every rule's own grant and where it is written; empty without a policy
 * @param loadProblem why the policy could not be loaded, when it could not
 * @param defaultCpus {@code defaults.cpus}: pins every sandbox whose request and grant name none
 * @param defaultIoLimit whether {@code defaults.io*BytesPerSec} limit every sandbox's I/O
 * @param networkEnabled {@code network.enabled}
 */
public record PolicyDemands(
    List<SourcedGrant> grants,
    Optional<String> loadProblem,
    CpuList defaultCpus,
    boolean defaultIoLimit,
    boolean networkEnabled) {
  /** Nothing known: no policy checks. */
  public static final PolicyDemands NONE =
      new PolicyDemands(List.of(), Optional.empty(), CpuList.NONE, false, true);

  public PolicyDemands {
    grants = List.copyOf(grants);
    Objects.requireNonNull(loadProblem, "loadProblem");
    Objects.requireNonNull(defaultCpus, "defaultCpus");
  }
}
