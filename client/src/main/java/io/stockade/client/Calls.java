package io.stockade.client;

import io.stockade.client.varlink.FrameTooLargeException;
import io.stockade.client.varlink.MalformedMessageException;
import io.stockade.client.varlink.TruncatedFrameException;
import io.stockade.client.varlink.VarlinkReply;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;

/** Reading one reply and turning every way it can go wrong into the matching exception. */
final class Calls {
  private Calls() {}

  static long deadline(Duration timeout) {
    long nanos = timeout.toNanos();
    long now = System.nanoTime();
    return nanos >= Connection.NO_DEADLINE - now ? Connection.NO_DEADLINE : now + nanos;
  }

  /**
   * The next reply of {@code method}. Any failure closes the connection: after a timeout or a
   * broken frame the connection is out of step.
   */
  static VarlinkReply receive(
      String method, Connection connection, long deadline, Duration timeout, boolean streaming)
      throws StockadeException {
    VarlinkReply reply;
    try {
      reply = connection.receive(deadline);
    } catch (SocketTimeoutException e) {
      connection.close();
      throw new CallTimeoutException(method, timeout);
    } catch (InterruptedIOException e) {
      connection.close();
      throw new CallInterruptedException(method, e);
    } catch (TruncatedFrameException e) {
      connection.close();
      throw new ProtocolViolationException(method, "the supervisor hung up in the middle of a reply (" + e.bytesRead() + " bytes arrived)", e);
    } catch (FrameTooLargeException e) {
      connection.close();
      throw new ProtocolViolationException(method, "reply larger than " + e.limit() + " bytes (raise Options.maxFrameBytes if that is expected)", e);
    } catch (MalformedMessageException e) {
      connection.close();
      throw new ProtocolViolationException(method, "malformed reply: " + e.getMessage(), e);
    } catch (ClosedChannelException e) {
      throw new ProtocolViolationException(method, "connection closed by the client", e);
    } catch (IOException e) {
      connection.close();
      throw new ProtocolViolationException(method, "reading the reply failed: " + e, e);
    }
    if (reply == null) {
      connection.close();
      throw new ProtocolViolationException(method, "the supervisor closed the connection without replying (it may have crashed or restarted)", null);
    }
    if (reply.isError()) {
      connection.close();
      throw RemoteErrors.fromReply(reply);
    }
    if (reply.continues() && !streaming) {
      connection.close();
      throw new ProtocolViolationException(method, "the supervisor sent 'continues' to a call made without 'more'", null);
    }
    return reply;
  }
}
