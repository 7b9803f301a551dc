package io.stockade.client;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Outcome of one preflight check. */
public enum CheckStatus {
  OK,
  WARN,
  FAIL;

  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static CheckStatus fromWireName(String name) {
    for (CheckStatus s : values()) {
      if (s.wireName().equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown check status '" + name + "': expected ok, warn or fail");
  }

  @Override
  public String toString() {
    return wireName();
  }
}
