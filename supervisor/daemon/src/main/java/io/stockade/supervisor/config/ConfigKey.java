package io.stockade.supervisor.config;

import java.util.List;

/**
 * One configuration key: its dotted name (the JSON path in the file), type, default and the
 * environment variable that overrides it, if any.
 */
record ConfigKey(String name, Type type, Object dflt, String env, String doc) {
  enum Type {
    STRING,
    PATH,
    INT,
    BOOL,
    STRINGS
  }

  /** The key as a JSON pointer (/stop/gracefulSeconds), as error messages name it. */
  String pointer() {
    return "/" + name.replace('.', '/');
  }

  static ConfigKey path(String name, String dflt, String env, String doc) {
    return new ConfigKey(name, Type.PATH, dflt, env, doc);
  }

  static ConfigKey string(String name, String dflt, String env, String doc) {
    return new ConfigKey(name, Type.STRING, dflt, env, doc);
  }

  static ConfigKey integer(String name, long dflt, String env, String doc) {
    return new ConfigKey(name, Type.INT, dflt, env, doc);
  }

  static ConfigKey bool(String name, boolean dflt, String env, String doc) {
    return new ConfigKey(name, Type.BOOL, dflt, env, doc);
  }

  static ConfigKey strings(String name, List<String> dflt, String env, String doc) {
    return new ConfigKey(name, Type.STRINGS, List.copyOf(dflt), env, doc);
  }
}
