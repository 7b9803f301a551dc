package io.stockade.policy;

import java.nio.file.Path;
import java.util.List;

/**
 * The policy directory could not be loaded; lists every problem found, not just the first, so an
 * operator fixes them in one pass. Nothing was loaded: the caller keeps the policy it had.
 */
public final class PolicyLoadException extends Exception {
  private final Path directory;
  private final List<PolicyProblem> problems;

  public PolicyLoadException(Path directory, List<PolicyProblem> problems) {
    super(message(directory, problems));
    this.directory = directory;
    this.problems = List.copyOf(problems);
  }

  public Path directory() {
    return directory;
  }

  public List<PolicyProblem> problems() {
    return problems;
  }

  private static String message(Path directory, List<PolicyProblem> problems) {
    StringBuilder sb = new StringBuilder("policy in ").append(directory).append(" not loaded, ");
    sb.append(problems.size()).append(problems.size() == 1 ? " problem:" : " problems:");
    for (PolicyProblem p : problems) {
      sb.append("\n  ").append(p);
    }
    return sb.toString();
  }
}
