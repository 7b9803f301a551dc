package io.stockade.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Loads a policy directory ({@code /etc/stockade/policy.d}) into an immutable {@link Authorizer}.
 *
 * <p>Loading is pure: it reads files and the user database and returns a new Authorizer, or
 * throws listing every problem. The caller decides what to do on failure; the daemon keeps the
 * Authorizer it had, so a bad edit never widens or drops anyone's rights.
 */
public final class PolicyLoader {
  /** The directory the daemon reads. */
  public static final Path DEFAULT_DIRECTORY = Path.of("/etc/stockade/policy.d");

  /** Whether files and the directory must be owned by root and not writable by group/others. */
  public enum Ownership {
    /** Production: refuse files another user could have written. */
    REQUIRE_ROOT,
    /** Tests and tools that read copies: skip the owner and mode checks (nothing else). */
    SKIP_CHECK
  }

  private final UserDatabase users;
  private final Ownership ownership;

  private PolicyLoader(UserDatabase users, Ownership ownership) {
    this.users = Objects.requireNonNull(users, "users");
    this.ownership = Objects.requireNonNull(ownership, "ownership");
  }

  /** The daemon's loader: host user database, files must be root's. */
  public static PolicyLoader forHost() {
    return new PolicyLoader(UserDatabase.system(), Ownership.REQUIRE_ROOT);
  }

  public static PolicyLoader create(UserDatabase users, Ownership ownership) {
    return new PolicyLoader(users, ownership);
  }

  /**
   * Reads every {@code *.json} in {@code directory} (name order, dotfiles skipped).
   *
   * @throws PolicyLoadException listing each problem as file, JSON pointer and reason
   */
  public Authorizer load(Path directory) throws PolicyLoadException {
    List<PolicyProblem> problems = new ArrayList<>();
    PolicyFiles files = new PolicyFiles(ownership, problems);
    Map<String, String> seenSubjects = new HashMap<>();
    List<Rule> rules = new ArrayList<>();
    List<Path> paths = files.list(directory);
    for (Path file : paths) {
      JsonNode root = files.read(directory, file);
      if (root != null) {
        rules.addAll(new RuleParser(new Problems(file, problems), users, seenSubjects).parseFile(root));
      }
    }
    if (!problems.isEmpty()) {
      throw new PolicyLoadException(directory, problems);
    }
    return new PolicyAuthorizer(rules, paths);
  }
}
