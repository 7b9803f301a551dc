package io.stockade.supervisor.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The effective configuration: defaults, then the JSON file, then STOCKADE_* environment
 * variables, then command-line flags, each value remembering where it came from. Unknown keys and
 * wrong types are errors naming the file and the key's JSON pointer.
 */
public final class SupervisorConfig {
  public static final Path DEFAULT_FILE = Path.of("/etc/stockade/stockade.json");

  /** Where a value came from. */
  public enum Origin {
    DEFAULT,
    FILE,
    ENV,
    FLAG
  }

  /** A value and its origin ("file /etc/stockade/stockade.json", "env STOCKADE_SOCKET"). */
  public record Value(Object value, Origin origin, String source) {}

  private final Map<String, Value> values;
  private final Path file;

  private SupervisorConfig(Map<String, Value> values, Path file) {
    this.values = values;
    this.file = file;
  }

  /**
   * Loads the configuration.
   *
   * @param file the file, or null for the default (which may be absent)
   * @param env the environment (System.getenv())
   * @param flags key=value overrides from the command line
   */
  public static SupervisorConfig load(Path file, Map<String, String> env, Map<String, String> flags) throws ConfigException {
    Map<String, ConfigKey> keys = ConfigKeys.byName();
    Map<String, Value> values = new LinkedHashMap<>();
    for (ConfigKey k : keys.values()) {
      values.put(k.name(), new Value(k.dflt(), Origin.DEFAULT, "default"));
    }
    Path f = file == null ? DEFAULT_FILE : file;
    try {
      byte[] bytes = Files.readAllBytes(f);
      JsonNode root = parse(f, bytes);
      if (!root.isObject()) {
        throw new ConfigException("config " + f + ": the top level must be a JSON object");
      }
      walk(f, root, "", keys, values);
    } catch (NoSuchFileException e) {
      if (file != null) {
        throw new ConfigException("config " + f + ": no such file (pass an existing --config, or none for defaults)");
      }
    } catch (IOException e) {
      throw new ConfigException("config " + f + ": cannot read: " + e.getMessage(), e);
    }
    for (ConfigKey k : keys.values()) {
      if (k.env() != null && env.containsKey(k.env())) {
        values.put(k.name(), new Value(fromText(k, env.get(k.env()), "environment variable " + k.env()), Origin.ENV, "env " + k.env()));
      }
    }
    for (Map.Entry<String, String> e : flags.entrySet()) {
      ConfigKey k = keys.get(e.getKey());
      if (k == null) {
        throw new ConfigException("command line: unknown config key '" + e.getKey() + "' (see `stockade-supervisor config --print`)");
      }
      values.put(k.name(), new Value(fromText(k, e.getValue(), "flag --set " + k.name()), Origin.FLAG, "flag"));
    }
    SupervisorConfig c = new SupervisorConfig(values, f);
    c.validate();
    return c;
  }

  private static JsonNode parse(Path f, byte[] bytes) throws ConfigException {
    ObjectMapper m = new ObjectMapper();
    m.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    m.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    try {
      return m.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw new ConfigException(
          "config " + f + ": not valid JSON at line " + e.getLocation().getLineNr() + ", column "
              + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ConfigException("config " + f + ": " + e.getMessage(), e);
    }
  }

  private static void walk(Path f, JsonNode node, String prefix, Map<String, ConfigKey> keys, Map<String, Value> values)
      throws ConfigException {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = prefix + e.getKey();
      ConfigKey k = keys.get(name);
      if (k == null) {
        boolean isSection = keys.keySet().stream().anyMatch(n -> n.startsWith(name + "."));
        if (isSection && e.getValue().isObject()) {
          walk(f, e.getValue(), name + ".", keys, values);
          continue;
        }
        throw new ConfigException(
            "config " + f + ": unknown key /" + name.replace('.', '/')
                + (isSection ? " (must be an object)" : "") + " (see docs/daemon.md for the keys)");
      }
      values.put(name, new Value(fromJson(f, k, e.getValue()), Origin.FILE, "file " + f));
    }
  }

  private static Object fromJson(Path f, ConfigKey k, JsonNode v) throws ConfigException {
    String where = "config " + f + ": " + k.pointer();
    switch (k.type()) {
      case INT:
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
          throw new ConfigException(where + " must be a non-negative integer, got " + v);
        }
        return v.longValue();
      case BOOL:
        if (!v.isBoolean()) {
          throw new ConfigException(where + " must be true or false, got " + v);
        }
        return v.booleanValue();
      case STRINGS:
        if (!v.isArray()) {
          throw new ConfigException(where + " must be an array of strings, got " + v);
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
          if (!e.isTextual()) {
            throw new ConfigException(where + " must be an array of strings, got element " + e);
          }
          out.add(e.textValue());
        }
        return List.copyOf(out);
      default:
        if (!v.isTextual()) {
          throw new ConfigException(where + " must be a string, got " + v);
        }
        return v.textValue();
    }
  }

  private static Object fromText(ConfigKey k, String text, String where) throws ConfigException {
    switch (k.type()) {
      case INT:
        try {
          long n = Long.parseLong(text.trim());
          if (n < 0) {
            throw new NumberFormatException();
          }
          return n;
        } catch (NumberFormatException e) {
          throw new ConfigException(where + " (" + k.name() + ") must be a non-negative integer, got '" + text + "'");
        }
      case BOOL:
        if (!text.equals("true") && !text.equals("false")) {
          throw new ConfigException(where + " (" + k.name() + ") must be true or false, got '" + text + "'");
        }
        return Boolean.parseBoolean(text);
      case STRINGS:
        return text.isEmpty() ? List.of() : List.copyOf(Arrays.asList(text.split(":")));
      default:
        return text;
    }
  }

  private void validate() throws ConfigException {
    for (ConfigKey k : ConfigKeys.ALL) {
      if (k.type() == ConfigKey.Type.PATH) {
        String p = (String) values.get(k.name()).value();
        if (!p.startsWith("/")) {
          throw new ConfigException(where(k.name()) + ": " + k.pointer() + " must be an absolute path, got '" + p + "'");
        }
      }
    }
    String mode = string("socketMode");
    if (!mode.matches("0?[0-7]{3}")) {
      throw new ConfigException(where("socketMode") + ": /socketMode must be octal like 0660, got '" + mode + "'");
    }
    String listen = string("monitor.listen");
    if (!listen.isEmpty() && !listen.startsWith("/") && !listen.matches("(127\\.0\\.0\\.1|\\[::1\\]|localhost):[0-9]{1,5}")) {
      throw new ConfigException(
          where("monitor.listen") + ": /monitor/listen must be 127.0.0.1:PORT, [::1]:PORT or an absolute socket path (only loopback is allowed), got '" + listen + "'");
    }
    try {
      io.stockade.policy.CpuList.parse(string("defaults.cpus"));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where("defaults.cpus") + ": /defaults/cpus: " + e.getMessage());
    }
    rate("defaults.netBytesPerSec", io.stockade.policy.RateLimit.MIN_BYTES_PER_SECOND,
        io.stockade.policy.RateLimit.MAX_BYTES_PER_SECOND);
    rate("defaults.netPacketsPerSec", io.stockade.policy.RateLimit.MIN_PACKETS_PER_SECOND,
        io.stockade.policy.RateLimit.MAX_PACKETS_PER_SECOND);
    if (integer("uidRange.first") < 1000 || integer("uidRange.count") < 1) {
      throw new ConfigException(where("uidRange.first") + ": /uidRange must start at 1000 or above and hold at least one uid");
    }
    if (integer("api.maxConnections") < 1 || integer("api.maxFrameBytes") < 1024) {
      throw new ConfigException(where("api.maxConnections") + ": /api/maxConnections must be >= 1 and /api/maxFrameBytes >= 1024");
    }
  }

  /** A network rate default: 0 (none) or within the network's range, else every attach would fail. */
  private void rate(String key, long min, long max) throws ConfigException {
    long v = integer(key);
    if (v != 0 && (v < min || v > max)) {
      throw new ConfigException(where(key) + ": /" + key.replace('.', '/') + " must be 0 (none) or from " + min
          + " to " + max + ", got " + v);
    }
  }

  private String where(String key) {
    Value v = values.get(key);
    return v.origin() == Origin.FILE ? "config " + file : v.source();
  }

  public Path file() {
    return file;
  }

  public Value value(String key) {
    Value v = values.get(key);
    if (v == null) {
      throw new IllegalArgumentException("no config key " + key);
    }
    return v;
  }

  public String string(String key) {
    return (String) value(key).value();
  }

  public Path path(String key) {
    return Path.of(string(key));
  }

  public long integer(String key) {
    return (Long) value(key).value();
  }

  public boolean bool(String key) {
    return (Boolean) value(key).value();
  }

  public Duration seconds(String key) {
    return Duration.ofSeconds(integer(key));
  }

  @SuppressWarnings("unchecked")
  public List<String> strings(String key) {
    return (List<String>) value(key).value();
  }

  /** The effective configuration, one key per line with its origin, for `config --print`. */
  public String print() {
    StringBuilder sb = new StringBuilder();
    sb.append("# effective configuration (file: ").append(file).append(")\n");
    int width = ConfigKeys.ALL.stream().mapToInt(k -> k.name().length()).max().orElse(10);
    for (ConfigKey k : ConfigKeys.ALL) {
      Value v = values.get(k.name());
      String shown =
          v.value() instanceof String s ? "\"" + s + "\"" : v.value() instanceof List<?> l ? l.toString() : String.valueOf(v.value());
      sb.append(String.format("%-" + width + "s = %-40s # %s%n", k.name(), shown, v.source()));
    }
    return sb.toString();
  }

  /** Documentation rows: key, default, env variable, description (docs/daemon.md is built from it). */
  public static List<String[]> reference() {
    List<String[]> rows = new ArrayList<>();
    for (ConfigKey k : ConfigKeys.ALL) {
      rows.add(new String[] {k.name(), String.valueOf(k.dflt()), k.env() == null ? "" : k.env(), k.doc()});
    }
    return rows;
  }
}
