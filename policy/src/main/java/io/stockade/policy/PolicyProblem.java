package io.stockade.policy;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One thing wrong with a policy file.
 *
 * @param file the file (or the policy directory, for problems with the directory itself)
 * @param pointer RFC 6901 JSON pointer to the offending value; "" for the whole file
 * @param reason what is wrong and how to fix it
 */
public record PolicyProblem(Path file, String pointer, String reason) {
  public PolicyProblem {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(pointer, "pointer");
    Objects.requireNonNull(reason, "reason");
  }

  @Override
  public String toString() {
    return pointer.isEmpty() ? file + ": " + reason : file + " " + pointer + ": " + reason;
  }
}
