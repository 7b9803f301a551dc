package io.stockade.policy;

import java.util.Objects;
import java.util.Set;

/**
 * Who is calling, as the supervisor learned it from the socket's peer credentials (uid, gid, pid)
 * and /proc/PID/status (supplementary groups), with names resolved from the host's user database.
 *
 * @param uid the caller's uid
 * @param gid the caller's primary gid
 * @param groups every group id the caller holds (primary and supplementary)
 * @param userName the uid's name, or empty when the uid has no name
 * @param groupNames names of {@code groups} that have one
 */
public record Subject(int uid, int gid, Set<Integer> groups, String userName, Set<String> groupNames) {
  public Subject {
    groups = Set.copyOf(groups);
    Objects.requireNonNull(userName, "userName");
    groupNames = Set.copyOf(groupNames);
  }

  public boolean isRoot() {
    return uid == 0;
  }
}
