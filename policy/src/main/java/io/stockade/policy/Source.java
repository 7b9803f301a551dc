package io.stockade.policy;

import java.nio.file.Path;

/** Where a limit came from, for messages: "user alice (/etc/stockade/policy.d/10-ci.json)". */
record Source(String subject, Path file) {
  @Override
  public String toString() {
    return subject + " (" + file + ")";
  }
}
