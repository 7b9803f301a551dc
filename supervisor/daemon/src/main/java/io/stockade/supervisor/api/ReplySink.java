package io.stockade.supervisor.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/** Where a handler sends its reply (or, for "more" calls, its stream of replies). */
interface ReplySink {
  void reply(ObjectNode parameters, boolean continues) throws IOException;

  /** True once the client hung up (checked without blocking while streaming). */
  boolean peerGone();
}
