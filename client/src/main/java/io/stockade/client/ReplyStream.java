package io.stockade.client;

import io.stockade.client.varlink.VarlinkJson;
import io.stockade.client.varlink.VarlinkReply;
import java.util.function.Function;

/**
 * The replies of a streaming call (Logs with follow, Events), read one at a time. Holds its own
 * connection: close it to stop the stream (any thread may, which ends a {@link #next()} blocked in
 * another). Not for concurrent {@code next()} calls.
 *
 * <pre>{@code
 * try (ReplyStream<SandboxEvent> events = client.events(null)) {
 *   for (SandboxEvent e; (e = events.next()) != null; ) { ... }
 * }
 * }</pre>
 */
public final class ReplyStream<T> implements AutoCloseable {
  private final String method;
  private final Connection connection;
  private final Class<? extends Record> replyType;
  private final Function<Object, T> extract;
  private final long firstDeadline;
  private final java.time.Duration timeout;
  private final java.util.function.Consumer<ReplyStream<?>> onEnd;
  private volatile boolean closedByUs;
  private boolean first = true;
  private boolean ended;

  ReplyStream(
      String method,
      Connection connection,
      Class<? extends Record> replyType,
      Function<Object, T> extract,
      java.time.Duration timeout,
      java.util.function.Consumer<ReplyStream<?>> onEnd) {
    this.onEnd = onEnd;
    this.method = method;
    this.connection = connection;
    this.replyType = replyType;
    this.extract = extract;
    this.timeout = timeout;
    this.firstDeadline = Calls.deadline(timeout);
  }

  /**
   * The next item, blocking until the server sends it; null when the stream has ended (the server
   * sent its last reply, or this stream was closed).
   *
   * @throws StockadeException the server ended the stream with an error, hung up mid-stream, or
   *     sent something that is not a reply
   */
  public T next() throws StockadeException {
    if (ended) {
      return null;
    }
    // Only the first reply is bound by the call timeout: later ones come when there is news.
    long deadline = first ? firstDeadline : Connection.NO_DEADLINE;
    first = false;
    VarlinkReply reply;
    try {
      reply = Calls.receive(method, connection, deadline, timeout, true);
    } catch (StockadeException e) {
      ended = true;
      connection.close();
      onEnd.accept(this);
      if (closedByUs) {
        return null;
      }
      throw e;
    }
    if (!reply.continues()) {
      ended = true;
      connection.close();
      onEnd.accept(this);
    }
    try {
      return extract.apply(VarlinkJson.decodeLenient(reply.parameters(), replyType));
    } catch (io.stockade.client.varlink.MalformedMessageException e) {
      ended = true;
      connection.close();
      throw new ProtocolViolationException(method, "reply does not fit " + replyType.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  /** True once the last reply was read or the stream was closed. */
  public boolean isEnded() {
    return ended || closedByUs;
  }

  /** Stops the stream and hangs up; the server sees the hang-up and stops sending. */
  @Override
  public void close() {
    closedByUs = true;
    connection.close();
    onEnd.accept(this);
  }
}
