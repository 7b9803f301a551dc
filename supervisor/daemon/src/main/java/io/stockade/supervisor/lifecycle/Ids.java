package io.stockade.supervisor.lifecycle;

import java.security.SecureRandom;
import java.util.Set;

/** Sandbox ids: 12 lower-case hex digits, valid as jail ids and file names, never reused at once. */
final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();

  private Ids() {}

  static String newId(Set<String> taken) {
    while (true) {
      StringBuilder sb = new StringBuilder(12);
      for (int i = 0; i < 12; i++) {
        sb.append(Character.forDigit(RANDOM.nextInt(16), 16));
      }
      // A leading letter keeps ids from being mistaken for numbers (uids, pids) in logs and tools.
      sb.setCharAt(0, (char) ('a' + RANDOM.nextInt(6)));
      String id = sb.toString();
      if (!taken.contains(id)) {
        return id;
      }
    }
  }
}
