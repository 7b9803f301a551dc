package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.client.varlink.FrameReader;
import io.stockade.client.varlink.MalformedMessageException;
import io.stockade.client.varlink.VarlinkCall;
import io.stockade.client.varlink.VarlinkJson;
import io.stockade.client.varlink.VarlinkReply;
import io.stockade.client.varlink.VarlinkService;
import java.io.IOException;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The Stockade supervisor's client: typed calls over its varlink Unix socket.
 *
 * <p>Thread-safe. Each call opens its own connection (a Unix socket connect costs tens of
 * microseconds) and closes it afterwards, so calls from many threads never wait for each other and
 * a stuck call cannot block the next one. Every call is bounded by the client's timeout ({@link
 * #withTimeout} gives a view with another); streaming calls bound only their first reply.
 *
 * <pre>{@code
 * try (StockadeClient client = StockadeClient.connect(Path.of("/run/stockade/stockade.sock"))) {
 *   SandboxInfo sb = client.create(SandboxSpec.vm(SandboxKind.QEMU, "default"));
 *   client.start(sb.id());
 * }
 * }</pre>
 */
public final class StockadeClient implements AutoCloseable {

  /**
   * @param callTimeout how long a call may wait for its reply (Start waits for the guest's
   *     readiness, so keep it above the largest readyTimeoutSeconds in use)
   * @param maxFrameBytes largest reply accepted
   * @param probeOnConnect {@link #connect} opens and closes one connection so that an unreachable
   *     socket fails there rather than at the first call; one-shot callers (the CLI) turn it off to
   *     save the supervisor a connection
   */
  public record Options(Duration callTimeout, int maxFrameBytes, boolean probeOnConnect) {
    public Options {
      Objects.requireNonNull(callTimeout, "callTimeout");
      if (callTimeout.isNegative() || callTimeout.isZero()) {
        throw new IllegalArgumentException("callTimeout must be positive, got " + callTimeout);
      }
      if (maxFrameBytes < 1024) {
        throw new IllegalArgumentException("maxFrameBytes must be at least 1024, got " + maxFrameBytes);
      }
    }

    public static Options defaults() {
      return new Options(Duration.ofSeconds(120), FrameReader.DEFAULT_MAX_FRAME_BYTES, true);
    }

    public Options withCallTimeout(Duration timeout) {
      return new Options(timeout, maxFrameBytes, probeOnConnect);
    }

    public Options withMaxFrameBytes(int bytes) {
      return new Options(callTimeout, bytes, probeOnConnect);
    }

    public Options withProbeOnConnect(boolean probe) {
      return new Options(callTimeout, maxFrameBytes, probe);
    }
  }

  private final Path socket;
  private final Options options;
  // Streams this client (and its timeout views) opened, so close() can end them.
  private final Set<ReplyStream<?>> openStreams;

  private StockadeClient(Path socket, Options options, Set<ReplyStream<?>> openStreams) {
    this.socket = socket;
    this.options = options;
    this.openStreams = openStreams;
  }

  /** Connects with default options; fails at once when the socket cannot be reached. */
  public static StockadeClient connect(Path socket) throws StockadeException {
    return connect(socket, Options.defaults());
  }

  /**
   * Connects; with {@link Options#probeOnConnect()} fails at once ({@link
   * ConnectionFailedException}) when the socket cannot be reached, else at the first call.
   */
  public static StockadeClient connect(Path socket, Options options) throws StockadeException {
    StockadeClient client =
        new StockadeClient(Objects.requireNonNull(socket, "socket"), Objects.requireNonNull(options, "options"),
            ConcurrentHashMap.newKeySet());
    if (options.probeOnConnect()) {
      client.open().close();
    }
    return client;
  }

  /** A view of this client whose calls use another timeout. */
  public StockadeClient withTimeout(Duration callTimeout) {
    return new StockadeClient(socket, options.withCallTimeout(callTimeout), openStreams);
  }

  public Path socket() {
    return socket;
  }

  public Options options() {
    return options;
  }

  public Replies.Ping ping() throws StockadeException {
    return call(SupervisorMethod.PING, new Requests.None(), Replies.Ping.class);
  }

  /** Host checks; root only. */
  public List<PreflightCheck> preflight() throws StockadeException {
    return call(SupervisorMethod.PREFLIGHT, new Requests.None(), Replies.Preflight.class).checks();
  }

  public SandboxInfo create(SandboxSpec spec) throws StockadeException {
    return sandbox(SupervisorMethod.CREATE, new Requests.Create(spec));
  }

  public SandboxInfo start(String id) throws StockadeException {
    return sandbox(SupervisorMethod.START, new Requests.ById(id));
  }

  /** Graceful stop with the server's default timeout. */
  public SandboxInfo stop(String id) throws StockadeException {
    return stop(id, null, true);
  }

  /**
   * Stops; {@code timeout} is how long a graceful stop waits before it kills, rounded up to whole
   * seconds; null or zero means the server's default.
   */
  public SandboxInfo stop(String id, Duration timeout, boolean graceful) throws StockadeException {
    Integer seconds = null;
    if (timeout != null && !timeout.isZero()) {
      seconds = (int) Math.min(Integer.MAX_VALUE, Math.max(1, (timeout.toMillis() + 999) / 1000));
    }
    return sandbox(SupervisorMethod.STOP, new Requests.Stop(id, seconds, graceful));
  }

  public SandboxInfo kill(String id) throws StockadeException {
    return sandbox(SupervisorMethod.KILL, new Requests.ById(id));
  }

  public SandboxInfo destroy(String id) throws StockadeException {
    return sandbox(SupervisorMethod.DESTROY, new Requests.ById(id));
  }

  public SandboxInfo get(String id) throws StockadeException {
    return sandbox(SupervisorMethod.GET, new Requests.ById(id));
  }

  public List<SandboxInfo> list() throws StockadeException {
    return call(SupervisorMethod.LIST, new Requests.None(), Replies.SandboxList.class).sandboxes();
  }

  /** The last {@code tail} lines of console output. */
  public String logs(String id, int tail) throws StockadeException {
    return call(SupervisorMethod.LOGS, new Requests.Logs(id, tail), Replies.Logs.class).data();
  }

  /** The last {@code tail} lines, then new output as it comes, until the sandbox ends. */
  public ReplyStream<String> followLogs(String id, int tail) throws StockadeException {
    return stream(SupervisorMethod.LOGS, new Requests.Logs(id, tail), r -> ((Replies.Logs) r).data(), true);
  }

  /** State changes of one sandbox, or of all the caller's when {@code id} is null. */
  public ReplyStream<SandboxEvent> events(String id) throws StockadeException {
    // The server says nothing until something happens: no reply is bounded by the call timeout.
    return stream(SupervisorMethod.EVENTS, new Requests.Events(id), r -> ((Replies.Event) r).event(), false);
  }

  public SandboxInfo pause(String id) throws StockadeException {
    return sandbox(SupervisorMethod.PAUSE, new Requests.ById(id));
  }

  public SandboxInfo resume(String id) throws StockadeException {
    return sandbox(SupervisorMethod.RESUME, new Requests.ById(id));
  }

  public SnapshotInfo snapshot(String id, String name) throws StockadeException {
    return call(SupervisorMethod.SNAPSHOT, new Requests.Snapshot(id, name), Replies.Snapshot.class).snapshot();
  }

  /** Snapshots of one sandbox, or all the caller's when {@code id} is null. */
  public List<SnapshotInfo> snapshots(String id) throws StockadeException {
    return call(SupervisorMethod.LIST_SNAPSHOTS, new Requests.ListSnapshots(id), Replies.SnapshotList.class).snapshots();
  }

  /** A new running sandbox from a snapshot; {@code name} may be null. */
  public SandboxInfo restore(String snapshot, String name) throws StockadeException {
    return sandbox(SupervisorMethod.RESTORE, new Requests.Restore(snapshot, name));
  }

  /** Replaces the egress rules; {@code dnsNames} null keeps the current ones. */
  public SandboxInfo updateEgress(String id, List<Egress> egress, List<String> dnsNames) throws StockadeException {
    return sandbox(SupervisorMethod.UPDATE_EGRESS, new Requests.UpdateEgress(id, egress, dnsNames));
  }

  /** The standard varlink GetInfo. */
  public VarlinkService.ServiceInfo info() throws StockadeException {
    return decode(VarlinkService.GET_INFO, callRaw(VarlinkCall.of(VarlinkService.GET_INFO, null)), VarlinkService.ServiceInfo.class);
  }

  /** The standard varlink GetInterfaceDescription: the interface in varlink IDL. */
  public String interfaceDescription(String interfaceName) throws StockadeException {
    VarlinkCall call = VarlinkCall.of(VarlinkService.GET_INTERFACE_DESCRIPTION,
        VarlinkJson.encode(new VarlinkService.InterfaceRequest(interfaceName)));
    return decode(call.method(), callRaw(call), VarlinkService.InterfaceDescription.class).description();
  }

  /** Any non-streaming method by its table entry, for generic callers. */
  public <R extends Record> R call(SupervisorMethod method, Record request, Class<R> replyType) throws StockadeException {
    if (!method.requestType().isInstance(request) || method.replyType() != replyType) {
      throw new IllegalArgumentException(method + " takes " + method.requestType().getSimpleName()
          + " and returns " + method.replyType().getSimpleName());
    }
    if (method.streaming() == SupervisorMethod.Streaming.REQUIRED) {
      throw new IllegalArgumentException(method + " is streaming-only: use its stream method");
    }
    VarlinkReply reply = callRaw(VarlinkCall.of(method.qualifiedName(), VarlinkJson.encode(request)));
    return decode(method.qualifiedName(), reply, replyType);
  }

  /** Ends every stream this client opened (a blocked {@code next()} then returns null). */
  @Override
  public void close() {
    for (ReplyStream<?> s : openStreams) {
      s.close();
    }
    openStreams.clear();
  }

  private SandboxInfo sandbox(SupervisorMethod method, Record request) throws StockadeException {
    return call(method, request, Replies.Sandbox.class).sandbox();
  }

  private VarlinkReply callRaw(VarlinkCall call) throws StockadeException {
    long deadline = Calls.deadline(options.callTimeout());
    try (Connection connection = open()) {
      send(call, connection, deadline);
      return Calls.receive(call.method(), connection, deadline, options.callTimeout(), false);
    }
  }

  private <T> ReplyStream<T> stream(
      SupervisorMethod method, Record request, Function<Object, T> extract, boolean firstReplyBounded)
      throws StockadeException {
    VarlinkCall call = VarlinkCall.streaming(method.qualifiedName(), VarlinkJson.encode(request));
    Connection connection = open();
    try {
      send(call, connection, Calls.deadline(options.callTimeout()));
    } catch (StockadeException | RuntimeException e) {
      connection.close();
      throw e;
    }
    ReplyStream<T> stream =
        new ReplyStream<>(call.method(), connection, method.replyType(), extract,
            firstReplyBounded ? options.callTimeout() : null, openStreams::remove);
    openStreams.add(stream);
    return stream;
  }

  private void send(VarlinkCall call, Connection connection, long deadline) throws StockadeException {
    try {
      connection.send(call, deadline);
    } catch (java.net.SocketTimeoutException e) {
      connection.close();
      throw new CallTimeoutException(call.method(), options.callTimeout());
    } catch (IOException e) {
      connection.close();
      throw new ProtocolViolationException(call.method(), "sending the call failed (the supervisor hung up): " + e.getMessage(), e);
    }
  }

  private static <R> R decode(String method, VarlinkReply reply, Class<R> type) throws StockadeException {
    try {
      return VarlinkJson.decodeLenient(reply.parameters(), type);
    } catch (MalformedMessageException e) {
      throw new ProtocolViolationException(method, "reply does not fit " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  private Connection open() throws ConnectionFailedException {
    try {
      return Connection.open(socket, options.maxFrameBytes());
    } catch (IOException e) {
      throw new ConnectionFailedException(socket, remedy(e), e);
    }
  }

  private String remedy(IOException e) {
    String message = String.valueOf(e.getMessage());
    // Permission first: an unsearchable directory also makes the socket look absent.
    if (message.contains("Permission denied")) {
      return "this user may not open the socket: ask the operator to add it to the socket's group"
          + " (stockade, in the shipped stockade.socket unit)";
    }
    if (!Files.exists(socket)) {
      return "no such socket: is the supervisor installed and running"
          + " (systemctl status stockade.socket stockade.service)? Point --socket or STOCKADE_SOCKET at its socket";
    }
    if (message.contains("Connection refused")) {
      return "the socket exists but nobody listens: the supervisor is not running"
          + " (systemctl start stockade.socket)";
    }
    if (e instanceof SocketException && !Files.isReadable(socket)) {
      return "the socket is not accessible to this user";
    }
    return "check that the path is the supervisor's socket";
  }
}
