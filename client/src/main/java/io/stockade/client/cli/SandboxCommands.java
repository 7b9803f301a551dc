package io.stockade.client.cli;

import io.stockade.client.Egress;
import io.stockade.client.Replies;
import io.stockade.client.ReplyStream;
import io.stockade.client.SandboxEvent;
import io.stockade.client.SandboxInfo;
import io.stockade.client.SnapshotInfo;
import io.stockade.client.StockadeClient;
import io.stockade.client.StockadeException;
import io.stockade.client.SupervisorProtocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The subcommands that map one to one onto a protocol method. */
final class SandboxCommands {
  private SandboxCommands() {}

  static final List<List<String>> NONE = List.of();

  static List<Command> all() {
    List<Command> c = new ArrayList<>();
    c.add(new Command("ping", List.of(), "", "Check that the supervisor answers; print its version and protocol version.",
        "", NONE, NONE, SandboxCommands::ping));
    c.add(new Command("preflight", List.of(), "", "Run the supervisor's host checks (root only).",
        "Exits 1 when any check fails.", NONE, NONE, SandboxCommands::preflight));
    c.add(RunCommand.create());
    c.add(byId("start", "Start a created or stopped sandbox and wait until it runs.", (cl, id) -> cl.start(id)));
    c.add(new Command("stop", List.of(), "ID [--timeout SECONDS] [--force]",
        "Stop a sandbox: ask the guest to power off, kill it after the timeout.",
        "  --timeout SECONDS  how long to wait before killing (default: the server's, 10 as shipped)\n"
            + "  --force            kill at once, no graceful shutdown",
        List.of(List.of("--force")), List.of(List.of("--timeout")), SandboxCommands::stop));
    c.add(byId("kill", "Kill everything in a sandbox at once.", (cl, id) -> cl.kill(id)));
    c.add(byId("destroy", "Kill a sandbox if needed and remove everything it holds.", (cl, id) -> cl.destroy(id)));
    c.add(new Command("get", List.of("inspect"), "ID", "Show one sandbox in detail.", "", NONE, NONE, SandboxCommands::get));
    c.add(new Command("list", List.of("ls"), "", "List your sandboxes (every sandbox, for root).", "", NONE, NONE,
        SandboxCommands::list));
    c.add(new Command("logs", List.of(), "ID [-f] [--tail LINES]", "Print a sandbox's console output.",
        "  -f, --follow    keep printing new output until the sandbox ends (Ctrl-C to stop)\n"
            + "  --tail LINES    start with the last LINES lines (default 100; 0 = only new output)",
        List.of(List.of("--follow", "-f")), List.of(List.of("--tail", "-n")), SandboxCommands::logs));
    c.add(new Command("events", List.of(), "[ID]", "Print state changes of your sandboxes (or one) as they happen.",
        "Runs until interrupted.", NONE, NONE, SandboxCommands::events));
    c.add(byId("pause", "Pause a running sandbox.", (cl, id) -> cl.pause(id)));
    c.add(byId("resume", "Resume a paused sandbox.", (cl, id) -> cl.resume(id)));
    c.add(new Command("snapshot", List.of(), "ID NAME", "Save a sandbox's memory and disks under NAME.", "", NONE, NONE,
        SandboxCommands::snapshot));
    c.add(new Command("snapshots", List.of(), "[ID]", "List your snapshots (or one sandbox's).", "", NONE, NONE,
        SandboxCommands::snapshots));
    c.add(new Command("restore", List.of(), "SNAPSHOT [--name NAME]", "Start a new sandbox from a snapshot.",
        "  --name NAME    name for the new sandbox", NONE, List.of(List.of("--name")), SandboxCommands::restore));
    c.add(new Command("update-egress", List.of(), "ID [--egress RULE]... [--dns NAME]...",
        "Replace a sandbox's egress rules (none given: block all egress).",
        "  --egress RULE   CIDR[:tcp|udp|icmp[:PORT[-PORT]]], e.g. 10.0.0.0/8:tcp:443 (repeatable)\n"
            + "  --dns NAME      host name it may resolve (repeatable; omitted: keep current names)",
        NONE, List.of(List.of("--egress"), List.of("--dns")), SandboxCommands::updateEgress));
    c.add(RunCommand.run());
    return c;
  }

  interface ByIdCall {
    SandboxInfo call(StockadeClient client, String id) throws StockadeException;
  }

  private static Command byId(String name, String summary, ByIdCall call) {
    return new Command(name, List.of(), "ID", summary, "ID is the sandbox's id or name.", NONE, NONE,
        (args, s) -> {
          String id = args.one("ID");
          return printState(s, call.call(s.client(), id));
        });
  }

  static int printState(Command.Session s, SandboxInfo info) {
    if (s.output().json) {
      s.output().json(new Replies.Sandbox(info));
    } else {
      s.output().sandboxState(info);
    }
    return 0;
  }

  private static int ping(CommandLine args, Command.Session s) throws StockadeException, UsageException {
    args.positionals(0, 0, "");
    Replies.Ping ping = s.client().ping();
    if (s.output().json) {
      s.output().json(ping);
    } else {
      s.output().out.println("stockade-supervisor " + ping.version() + ", protocol " + ping.protocolVersion()
          + " (this client speaks protocol " + SupervisorProtocol.PROTOCOL_VERSION + ")");
    }
    return 0;
  }

  private static int preflight(CommandLine args, Command.Session s) throws StockadeException, UsageException {
    args.positionals(0, 0, "");
    Replies.Preflight reply = new Replies.Preflight(s.client().preflight());
    if (s.output().json) {
      s.output().json(reply);
    } else {
      s.output().checks(reply.checks());
    }
    return reply.checks().stream().anyMatch(c -> c.status() == io.stockade.client.CheckStatus.FAIL) ? 1 : 0;
  }

  private static int stop(CommandLine args, Command.Session s) throws StockadeException, UsageException {
    String id = args.one("ID");
    int timeout = args.intOption("--timeout", 0, 1);
    return printState(s, s.client().stop(id, Duration.ofSeconds(timeout), !args.flag("--force")));
  }

  private static int get(CommandLine args, Command.Session s) throws StockadeException, UsageException {
    String id = args.one("ID");
    SandboxInfo info = s.client().get(id);
    if (s.output().json) {
      s.output().json(new Replies.Sandbox(info));
    } else {
      s.output().sandboxDetail(info);
    }
    return 0;
  }

  private static int list(CommandLine args, Command.Session s) throws StockadeException, UsageException {
    args.positionals(0, 0, "");
    List<SandboxInfo> list = s.client().list();
    if (s.output().json) {
      s.output().json(new Replies.SandboxList(list));
    } else {
      s.output().sandboxes(list);
    }
    return 0;
  }

  private static int logs(CommandLine args, Command.Session s) throws StockadeException, UsageException {
    String id = args.one("ID");
    int tail = args.intOption("--tail", io.stockade.client.Requests.Logs.DEFAULT_TAIL, 0);
    if (tail > io.stockade.client.Requests.Logs.MAX_TAIL) {
      throw new UsageException("logs", "--tail must be at most " + io.stockade.client.Requests.Logs.MAX_TAIL);
    }
    if (!args.flag("--follow")) {
      printLogChunk(s, s.client().logs(id, tail));
      return 0;
    }
    try (ReplyStream<String> stream = s.client().followLogs(id, tail)) {
      for (String chunk; !s.output().readerGone() && (chunk = stream.next()) != null; ) {
        printLogChunk(s, chunk);
      }
    }
    return 0;
  }

  static void printLogChunk(Command.Session s, String chunk) {
    if (s.output().json) {
      s.output().json(new Replies.Logs(chunk));
    } else {
      s.output().out.print(chunk);
      s.output().out.flush();
    }
  }

  private static int events(CommandLine args, Command.Session s) throws StockadeException, UsageException {
    List<String> p = args.positionals(0, 1, "ID");
    try (ReplyStream<SandboxEvent> stream = s.client().events(p.isEmpty() ? null : p.get(0))) {
      for (SandboxEvent e; !s.output().readerGone() && (e = stream.next()) != null; ) {
        if (s.output().json) {
          s.output().json(new Replies.Event(e));
        } else {
          s.output().event(e);
        }
      }
    }
    return 0;
  }

  private static int snapshot(CommandLine args, Command.Session s) throws StockadeException, UsageException {
    List<String> p = args.positionals(2, 2, "ID and NAME");
    SnapshotInfo snap = s.client().snapshot(p.get(0), p.get(1));
    if (s.output().json) {
      s.output().json(new Replies.Snapshot(snap));
    } else {
      s.output().out.println(snap.id());
    }
    return 0;
  }

  private static int snapshots(CommandLine args, Command.Session s) throws StockadeException, UsageException {
    List<String> p = args.positionals(0, 1, "ID");
    List<SnapshotInfo> list = s.client().snapshots(p.isEmpty() ? null : p.get(0));
    if (s.output().json) {
      s.output().json(new Replies.SnapshotList(list));
    } else {
      s.output().snapshots(list);
    }
    return 0;
  }

  private static int restore(CommandLine args, Command.Session s) throws StockadeException, UsageException {
    String snapshot = args.one("SNAPSHOT");
    return printState(s, s.client().restore(snapshot, args.option("--name")));
  }

  private static int updateEgress(CommandLine args, Command.Session s) throws StockadeException, UsageException {
    String id = args.one("ID");
    List<Egress> egress = RunCommand.egress(args, "update-egress");
    List<String> dns = args.has("--dns") ? args.options("--dns") : null;
    return printState(s, s.client().updateEgress(id, egress, dns));
  }
}
