package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** No sandbox or snapshot with that id or name is visible to the caller. */
public final class NotFoundException extends StockadeException {
  public static final String ERROR_NAME = "io.stockade.Supervisor.NotFound";

  public NotFoundException(String id) {
    this(id, null);
  }

  public NotFoundException(String id, Throwable cause) {
    super(ERROR_NAME, params("id", id), "no sandbox or snapshot '" + id + "' visible to this user: check the id with 'stockade list' or 'stockade snapshots'", cause);
  }

  static NotFoundException fromParameters(ObjectNode p) {
    return new NotFoundException(text(p, "id"));
  }

  public String id() {
    return text(parameters(), "id");
  }
}
