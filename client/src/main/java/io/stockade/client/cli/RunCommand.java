package io.stockade.client.cli;

import io.stockade.client.DataDisk;
import io.stockade.client.Egress;
import io.stockade.client.ReplyStream;
import io.stockade.client.SandboxInfo;
import io.stockade.client.SandboxKind;
import io.stockade.client.SandboxSpec;
import io.stockade.client.StockadeClient;
import io.stockade.client.StockadeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@code create} and its convenience {@code run} (create, start, follow the console, destroy). */
final class RunCommand {
  private RunCommand() {}

  private static final String SPEC_OPTIONS =
      "  --kind KIND           qemu (default), firecracker, cloud-hypervisor or process\n"
          + "  --image IMAGE         catalog image (name or name:version); default: the server's\n"
          + "  --name NAME           name for the sandbox (default: chosen by the server)\n"
          + "  --vcpus N             virtual CPUs (default: the server's, 1 as shipped)\n"
          + "  --memory MIB          memory in MiB (default: the server's, 256 as shipped)\n"
          + "  --network             give the sandbox a network interface\n"
          + "  --egress RULE         allowed destination CIDR[:tcp|udp|icmp[:PORT[-PORT]]], e.g.\n"
          + "                        10.0.0.0/8:tcp:443 (repeatable; implies --network)\n"
          + "  --dns NAME            host name it may resolve (repeatable; implies --network)\n"
          + "  --data-disk MIB       an extra empty data disk of MIB MiB for a VM (repeatable; the\n"
          + "                        guest sees /dev/vdb, /dev/vdc, ...; destroy removes them)\n"
          + "  --pids N              process limit of the sandbox (default: the server's; the\n"
          + "                        policy's maxPids caps it)\n"
          + "  --io-read BPS         read bandwidth limit on its disks, bytes/s (default: the\n"
          + "                        policy's maxIoBytesPerSec if set, else none)\n"
          + "  --io-write BPS        write bandwidth limit, bytes/s (likewise)\n"
          + "  --cpus LIST           host CPUs to pin it to, e.g. 2-3 or 0,2 (default: the\n"
          + "                        policy's cpus if set, else not pinned)\n"
          + "  --net-rate BPS        network rate limit, bytes/s in each direction, at least 1000\n"
          + "                        (default: the policy's maxNetBytesPerSec if set, else none)\n"
          + "  --net-pps N           network rate limit, packets/s in each direction (likewise)\n"
          + "  --ready-timeout S     how long start waits for the guest to be ready (default: the\n"
          + "                        server's, 60 s as shipped)\n"
          + "  -- COMMAND...         process kind: the program and its arguments (absolute path);\n"
          + "                        VM kinds: extra arguments for the guest's init\n";

  private static final List<List<String>> SPEC_VALUED = List.of(
      List.of("--kind"), List.of("--image"), List.of("--name"), List.of("--vcpus"), List.of("--memory"),
      List.of("--egress"), List.of("--dns"), List.of("--ready-timeout"),
      List.of("--data-disk"), List.of("--pids"), List.of("--io-read"), List.of("--io-write"),
      List.of("--cpus"), List.of("--net-rate"), List.of("--net-pps"));

  static Command create() {
    return new Command("create", List.of(), "[OPTIONS] [-- COMMAND...]",
        "Create a sandbox (not started); print its id.", SPEC_OPTIONS,
        List.of(List.of("--network")), SPEC_VALUED, RunCommand::doCreate);
  }

  static Command run() {
    return new Command("run", List.of(), "[OPTIONS] [-- COMMAND...]",
        "Create and start a sandbox, print its console until it ends, then destroy it.",
        SPEC_OPTIONS
            + "  --keep                do not destroy the sandbox at the end\n\n"
            + "Ctrl-C destroys the sandbox (unless --keep). Exits with the workload's exit status when\n"
            + "it has one (0 when it stopped without one, 1 when it failed), or with the codes of\n"
            + "'stockade --help' when a step fails before that.",
        List.of(List.of("--network"), List.of("--keep")), SPEC_VALUED, RunCommand::doRun);
  }

  static SandboxSpec spec(CommandLine args, String command) throws UsageException {
    args.positionals(0, 0, "");
    SandboxKind kind;
    try {
      kind = SandboxKind.fromWireName(args.option("--kind") == null ? "qemu" : args.option("--kind"));
    } catch (IllegalArgumentException e) {
      throw new UsageException(command, e.getMessage());
    }
    String image = args.option("--image");
    if (kind == SandboxKind.PROCESS && args.rest().isEmpty()) {
      throw new UsageException(command, "kind process needs a command after --, e.g. -- /bin/echo hello");
    }
    List<Egress> egress = egress(args, command);
    boolean network = args.flag("--network") || !egress.isEmpty() || args.has("--dns");
    try {
      return new SandboxSpec(kind, args.option("--name"), image, args.rest(), args.intOption("--vcpus", 0, 1),
          args.intOption("--memory", 0, 1), egress, args.options("--dns"), network,
          args.intOption("--ready-timeout", 0, 1), dataDisks(args, command),
          positive(args, "--pids", command), positive(args, "--io-read", command),
          positive(args, "--io-write", command), args.option("--cpus"),
          positive(args, "--net-rate", command), positive(args, "--net-pps", command));
    } catch (IllegalArgumentException e) {
      throw new UsageException(command, e.getMessage());
    }
  }

  /** A whole number of at least 1, or 0 when the option is absent (the server's default). */
  static long positive(CommandLine args, String option, String command) throws UsageException {
    String text = args.option(option);
    if (text == null) {
      return 0;
    }
    long value;
    try {
      value = Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new UsageException(command, option + " '" + text + "': expected a whole number, e.g. 1048576");
    }
    if (value < 1) {
      throw new UsageException(command, option + " " + text + ": must be at least 1 (leave it out for the default)");
    }
    return value;
  }

  static List<DataDisk> dataDisks(CommandLine args, String command) throws UsageException {
    List<DataDisk> disks = new ArrayList<>();
    for (String text : args.options("--data-disk")) {
      long mib;
      try {
        mib = Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw new UsageException(command, "--data-disk '" + text + "': expected a size in MiB, e.g. 1024");
      }
      if (mib < 1) {
        throw new UsageException(command, "--data-disk " + text + ": the size must be at least 1 MiB");
      }
      disks.add(DataDisk.ofMiB(mib));
    }
    return disks;
  }

  static List<Egress> egress(CommandLine args, String command) throws UsageException {
    List<Egress> rules = new ArrayList<>();
    for (String text : args.options("--egress")) {
      try {
        rules.add(Egress.parse(text));
      } catch (IllegalArgumentException e) {
        throw new UsageException(command, e.getMessage());
      }
    }
    return rules;
  }

  private static int doCreate(CommandLine args, Command.Session s) throws StockadeException, UsageException {
    SandboxSpec spec = spec(args, "create");
    SandboxInfo info = s.client().create(spec);
    if (s.output().json) {
      s.output().json(new io.stockade.client.Replies.Sandbox(info));
    } else {
      s.output().out.println(info.id());
    }
    return 0;
  }

  private static int doRun(CommandLine args, Command.Session s) throws StockadeException, UsageException {
    SandboxSpec spec = spec(args, "run");
    boolean keep = args.flag("--keep");
    StockadeClient client = s.client();
    SandboxInfo created = client.create(spec);
    String id = created.id();
    // Ctrl-C (SIGINT/SIGTERM run shutdown hooks) must not leave the sandbox behind.
    Thread cleanup = new Thread(() -> destroyQuietly(client, id, s), "stockade-run-cleanup");
    if (!keep) {
      Runtime.getRuntime().addShutdownHook(cleanup);
    }
    try {
      client.start(id);
      // Everything since the start (as far as the protocol's tail limit reaches).
      try (ReplyStream<String> logs = client.followLogs(id, io.stockade.client.Requests.Logs.MAX_TAIL)) {
        for (String chunk; !s.output().readerGone() && (chunk = logs.next()) != null; ) {
          SandboxCommands.printLogChunk(s, chunk);
        }
      }
      SandboxInfo end = client.get(id);
      if (!s.output().json && end.reason() != null) {
        s.output().err.println("stockade: " + id + " " + end.state() + ": " + end.reason());
      }
      if (end.exitStatus() != null) {
        return end.exitStatus() & 0xff;
      }
      return end.state() == io.stockade.client.SandboxState.FAILED ? 1 : 0;
    } finally {
      if (!keep) {
        try {
          Runtime.getRuntime().removeShutdownHook(cleanup);
          destroyQuietly(client, id, s);
        } catch (IllegalStateException e) {
          // The JVM is shutting down: the hook is running and destroys it.
        }
      }
    }
  }

  private static void destroyQuietly(StockadeClient client, String id, Command.Session s) {
    try {
      client.withTimeout(Duration.ofSeconds(30)).destroy(id);
    } catch (StockadeException e) {
      s.output().err.println("stockade: could not destroy " + id + ": " + e.getMessage()
          + " (destroy it with 'stockade destroy " + id + "')");
    }
  }
}
