package io.stockade.policy;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The host's users and groups, as policy names them. The loader resolves the user and group names
 * in policy files to ids once, when it loads; checks then match the caller's kernel-reported uid
 * and group ids, never names (see docs/policy.md, "Names and ids").
 */
public interface UserDatabase {

  OptionalInt uidOf(String userName);

  OptionalInt gidOf(String groupName);

  Optional<String> userName(int uid);

  Optional<String> groupName(int gid);

  /** The uid's primary group and every group that lists its user name as a member. */
  Set<Integer> groupsOf(int uid);

  /** Reads the host's /etc/passwd and /etc/group (again whenever either changes). */
  static UserDatabase system() {
    return new EtcUserDatabase(Path.of("/"));
  }

  /** Reads {@code root}/etc/passwd and {@code root}/etc/group: for tests and chroots. */
  static UserDatabase under(Path root) {
    return new EtcUserDatabase(root);
  }
}
