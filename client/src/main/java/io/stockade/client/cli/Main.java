package io.stockade.client.cli;

import io.stockade.client.StockadeClient;
import io.stockade.client.StockadeException;
import io.stockade.client.SupervisorProtocol;
import io.stockade.client.varlink.VarlinkJson;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code stockade} command line. Global options may appear anywhere before {@code --}:
 * {@code --socket PATH} (else $STOCKADE_SOCKET, else /run/stockade/stockade.sock), {@code --json},
 * {@code --call-timeout SECONDS}, {@code --help}.
 */
public final class Main {
  private static final List<Command> COMMANDS = SandboxCommands.all();

  private Main() {}

  public static void main(String[] args) {
    int code = run(args, System.out, System.err, System.getenv());
    System.out.flush();
    System.exit(code);
  }

  /** Runs one command line and returns the exit code; never calls System.exit. */
  public static int run(String[] argv, PrintStream out, PrintStream err, Map<String, String> env) {
    String socket = env.getOrDefault("STOCKADE_SOCKET", SupervisorProtocol.DEFAULT_SOCKET.toString());
    boolean json = false;
    boolean help = false;
    Duration timeout = StockadeClient.Options.defaults().callTimeout();
    List<String> rest = new ArrayList<>();
    Command command = null;
    try {
      for (int i = 0; i < argv.length; i++) {
        String a = argv[i];
        if (a.equals("--")) {
          rest.addAll(List.of(argv).subList(i, argv.length));
          break;
        }
        if (a.equals("--json")) {
          json = true;
        } else if (a.equals("--help") || a.equals("-h")) {
          help = true;
        } else if (a.equals("--socket") || a.startsWith("--socket=")) {
          socket = a.contains("=") ? a.substring(a.indexOf('=') + 1) : value(argv, ++i, "--socket");
        } else if (a.equals("--call-timeout") || a.startsWith("--call-timeout=")) {
          String v = a.contains("=") ? a.substring(a.indexOf('=') + 1) : value(argv, ++i, "--call-timeout");
          timeout = Duration.ofSeconds(seconds(v));
        } else if (a.equals("--version")) {
          out.println("stockade client, protocol " + SupervisorProtocol.PROTOCOL_VERSION);
          return 0;
        } else {
          rest.add(a);
        }
      }
      if (rest.isEmpty() || rest.get(0).equals("help")) {
        if (rest.size() > 1) {
          command = find(rest.get(1));
          out.print(command.help());
        } else {
          out.print(globalHelp());
        }
        return help || !rest.isEmpty() ? 0 : ExitCode.USAGE.code;
      }
      command = find(rest.get(0));
      if (help) {
        out.print(command.help());
        return 0;
      }
      CommandLine args = CommandLine.parse(command.name(), rest.subList(1, rest.size()), command.flags(), command.valued());
      Session session = new Session(Path.of(socket), timeout, new Output(out, err, json));
      return command.action().run(args, session);
    } catch (UsageException e) {
      err.println("stockade: " + e.getMessage());
      String name = e.command() != null ? e.command() : command == null ? null : command.name();
      err.println(name == null
          ? "Run 'stockade --help' for the commands."
          : "Run 'stockade " + name + " --help' for its usage.");
      return ExitCode.USAGE.code;
    } catch (RuntimeException e) {
      // A bug, not a user error: say so plainly rather than dump a stack trace on the user.
      err.println("stockade: internal error: " + e + " (please report it with the command line)");
      return ExitCode.ERROR.code;
    } catch (StockadeException e) {
      if (json) {
        err.println("{\"error\":" + quote(e.errorName()) + ",\"parameters\":"
            + new String(VarlinkJson.toBytes(e.parameters()), StandardCharsets.UTF_8) + "}");
      }
      err.println("stockade: " + e.getMessage());
      return ExitCode.of(e).code;
    }
  }

  private static String quote(String s) {
    return new String(VarlinkJson.toBytes(com.fasterxml.jackson.databind.node.TextNode.valueOf(s)), StandardCharsets.UTF_8);
  }

  private static String value(String[] argv, int i, String option) throws UsageException {
    if (i >= argv.length) {
      throw new UsageException(null, option + " needs a value");
    }
    return argv[i];
  }

  private static long seconds(String v) throws UsageException {
    try {
      long n = Long.parseLong(v);
      if (n < 1) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new UsageException(null, "--call-timeout expects a positive number of seconds, got '" + v + "'");
    }
  }

  private static Command find(String word) throws UsageException {
    if (word.startsWith("-")) {
      throw new UsageException(null, "unknown option " + word);
    }
    for (Command c : COMMANDS) {
      if (c.answersTo(word)) {
        return c;
      }
    }
    throw new UsageException(null, "unknown command '" + word + "'");
  }

  static String globalHelp() {
    StringBuilder sb = new StringBuilder();
    sb.append("Usage: stockade [--socket PATH] [--json] [--call-timeout SECONDS] COMMAND [ARGS]\n\n");
    sb.append("Create, run and inspect sandboxes through the Stockade supervisor.\n\nCommands:\n");
    for (Command c : COMMANDS) {
      String names = c.name() + (c.aliases().isEmpty() ? "" : " (" + String.join(", ", c.aliases()) + ")");
      sb.append(String.format("  %-20s %s%n", names, c.summary()));
    }
    sb.append("\nOptions:\n");
    sb.append("  --socket PATH          the supervisor's socket (default $STOCKADE_SOCKET, else ")
        .append(SupervisorProtocol.DEFAULT_SOCKET).append(")\n");
    sb.append("  --json                 print replies as JSON, one object per line\n");
    sb.append("  --call-timeout SECONDS how long to wait for a reply (default 120)\n");
    sb.append("  -h, --help             this help; 'stockade COMMAND --help' for a command's\n");
    sb.append("\nExit codes:\n").append(ExitCode.table());
    return sb.toString();
  }

  /** Connects on first use, so --help and usage errors never touch the socket. */
  private static final class Session implements Command.Session {
    private final Path socket;
    private final Duration timeout;
    private final Output output;
    private StockadeClient client;

    Session(Path socket, Duration timeout, Output output) {
      this.socket = socket;
      this.timeout = timeout;
      this.output = output;
    }

    @Override
    public StockadeClient client() throws StockadeException {
      if (client == null) {
        client = StockadeClient.connect(socket, StockadeClient.Options.defaults().withCallTimeout(timeout).withProbeOnConnect(false));
      }
      return client;
    }

    @Override
    public Output output() {
      return output;
    }
  }
}
