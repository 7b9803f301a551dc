package io.stockade.client;

import io.stockade.client.varlink.MalformedMessageException;
import io.stockade.client.varlink.VarlinkJson;
import io.stockade.client.varlink.VarlinkReply;
import java.time.Duration;
import java.util.function.Consumer;
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
  private final Duration firstReplyTimeout;
  private final long firstDeadline;
  private final Consumer<ReplyStream<?>> onEnd;
  private volatile boolean closedByUs;
  private boolean first = true;
  private boolean ended;

  /**
   * @param firstReplyTimeout bound on the first reply, counted from now (the call was just sent);
   *     null when the server may stay silent indefinitely (Events)
   * @param onEnd told once the stream ends or is closed (the client forgets it)
   */
  ReplyStream(
      String method,
      Connection connection,
      Class<? extends Record> replyType,
      Function<Object, T> extract,
      Duration firstReplyTimeout,
      Consumer<ReplyStream<?>> onEnd) {
    this.method = method;
    this.connection = connection;
    this.replyType = replyType;
    this.extract = extract;
    this.firstReplyTimeout = firstReplyTimeout == null ? Duration.ZERO : firstReplyTimeout;
    this.firstDeadline = firstReplyTimeout == null ? Connection.NO_DEADLINE : Calls.deadline(firstReplyTimeout);
    this.onEnd = onEnd;
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
    // Later replies come when there is news, however long that takes: no deadline for them.
    long deadline = first ? firstDeadline : Connection.NO_DEADLINE;
    first = false;
    VarlinkReply reply;
    try {
      reply = Calls.receive(method, connection, deadline, firstReplyTimeout, true);
    } catch (StockadeException e) {
      end();
      if (closedByUs) {
        return null; // close() from another thread: the end the caller asked for, not an error
      }
      throw e;
    }
    if (!reply.continues()) {
      end();
    }
    try {
      return extract.apply(VarlinkJson.decodeLenient(reply.parameters(), replyType));
    } catch (MalformedMessageException e) {
      end();
      throw new ProtocolViolationException(
          method, "reply does not fit " + replyType.getSimpleName() + ": " + e.getMessage(), e);
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

  private void end() {
    ended = true;
    connection.close();
    onEnd.accept(this);
  }
}
