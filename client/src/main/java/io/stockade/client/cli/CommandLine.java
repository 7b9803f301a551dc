package io.stockade.client.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed arguments of one subcommand. Options are declared up front (flags take no value,
 * valued options take one, in {@code --opt VALUE} or {@code --opt=VALUE} form, and may repeat);
 * anything after {@code --} is passed through untouched (a process's argv).
 */
final class CommandLine {
  private final String command;
  private final Map<String, List<String>> options;
  private final List<String> positionals;
  private final List<String> rest;

  private CommandLine(String command, Map<String, List<String>> options, List<String> positionals, List<String> rest) {
    this.command = command;
    this.options = options;
    this.positionals = positionals;
    this.rest = rest;
  }

  /**
   * @param flags option names without a value, each possibly with aliases: {"--follow", "-f"}
   * @param valued option names with a value
   */
  static CommandLine parse(String command, List<String> args, List<List<String>> flags, List<List<String>> valued)
      throws UsageException {
    Map<String, List<String>> options = new LinkedHashMap<>();
    List<String> positionals = new ArrayList<>();
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--")) {
        rest.addAll(args.subList(i + 1, args.size()));
        break;
      }
      if (!arg.startsWith("-") || arg.equals("-")) {
        positionals.add(arg);
        continue;
      }
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      String canonical = canonical(name, flags);
      if (canonical != null) {
        if (value != null) {
          throw new UsageException(command, "option " + name + " takes no value");
        }
        options.computeIfAbsent(canonical, k -> new ArrayList<>()).add("true");
        continue;
      }
      canonical = canonical(name, valued);
      if (canonical == null) {
        throw new UsageException(command, "unknown option " + name);
      }
      if (value == null) {
        if (i + 1 >= args.size()) {
          throw new UsageException(command, "option " + name + " needs a value");
        }
        value = args.get(++i);
      }
      options.computeIfAbsent(canonical, k -> new ArrayList<>()).add(value);
    }
    return new CommandLine(command, options, positionals, rest);
  }

  private static String canonical(String name, List<List<String>> names) {
    for (List<String> aliases : names) {
      if (aliases.contains(name)) {
        return aliases.get(0);
      }
    }
    return null;
  }

  boolean flag(String name) {
    return options.containsKey(name);
  }

  /** The option's last value, or null. */
  String option(String name) {
    List<String> values = options.get(name);
    return values == null ? null : values.get(values.size() - 1);
  }

  List<String> options(String name) {
    return options.getOrDefault(name, List.of());
  }

  boolean has(String name) {
    return options.containsKey(name);
  }

  int intOption(String name, int fallback, int min) throws UsageException {
    String v = option(name);
    if (v == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < min) {
        throw new UsageException(command, name + " must be at least " + min + ", got " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new UsageException(command, name + " expects a whole number, got '" + v + "'");
    }
  }

  /** Exactly {@code min..max} positional arguments, named in the error. */
  List<String> positionals(int min, int max, String names) throws UsageException {
    if (positionals.size() < min) {
      throw new UsageException(command, "missing " + names);
    }
    if (positionals.size() > max) {
      throw new UsageException(command, "unexpected argument '" + positionals.get(max) + "'");
    }
    return positionals;
  }

  /** The single required positional argument. */
  String one(String name) throws UsageException {
    return positionals(1, 1, name).get(0);
  }

  List<String> rest() {
    return rest;
  }
}
