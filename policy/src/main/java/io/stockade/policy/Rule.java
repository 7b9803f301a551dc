package io.stockade.policy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One validated rule of one file: whom it names (resolved to ids) and what it grants.
 *
 * @param file the file it came from
 * @param index its position in the file's {@code rules}
 * @param uids uid -> how messages name it ("user alice", or "uid 1000" when it has no name)
 * @param gids gid -> how messages name it ("group ci")
 * @param admin whether its subjects may see and manage every sandbox
 * @param grant what it grants; kinds empty when it grants no creation
 */
record Rule(
    Path file, int index, Map<Integer, String> uids, Map<Integer, String> gids, boolean admin, Grant grant) {
  Rule {
    uids = Map.copyOf(uids);
    gids = Map.copyOf(gids);
  }

  static final Grant NOTHING = new Grant(Set.of(), Set.of(), 0, 0, 0, 0, 0, List.of(), List.of(), List.of());
}
