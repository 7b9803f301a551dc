package io.stockade.supervisor.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.policy.Subject;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The varlink server on the supervisor's Unix socket. One thread per connection from a bounded
 * pool (Java 17 has no virtual threads); a connection beyond the limit is closed at once. Each
 * connection is authenticated once from its peer credentials; each call is authorised by the
 * {@link Dispatcher}. No client can crash the server or hold up another one.
 */
public final class ApiServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
  private static final Set<String> CALL_FIELDS = Set.of("method", "parameters", "more", "oneway", "upgrade");

  private final AFUNIXServerSocket server;
  private final Dispatcher dispatcher;
  private final PeerSubjects subjects;
  private final ApiLimits limits;
  private final ApiMetrics metrics;
  private final ObjectMapper json = new ObjectMapper();
  private final ThreadPoolExecutor pool;
  private final Set<AFUNIXSocket> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger threadNo = new AtomicInteger();
  private final Thread acceptor;
  private volatile boolean closed;

  public ApiServer(
      AFUNIXServerSocket server, Dispatcher dispatcher, PeerSubjects subjects, ApiLimits limits, ApiMetrics metrics) {
    this.server = server;
    this.dispatcher = dispatcher;
    this.subjects = subjects;
    this.limits = limits;
    this.metrics = metrics;
    this.pool =
        new ThreadPoolExecutor(
            0, limits.maxConnections(), 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
            r -> {
              Thread t = new Thread(r, "api-" + threadNo.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.acceptor = new Thread(this::acceptLoop, "api-accept");
    acceptor.setDaemon(true);
  }

  public void start() {
    acceptor.start();
  }

  public int openConnections() {
    return open.size();
  }

  private void acceptLoop() {
    while (!closed) {
      AFUNIXSocket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.error("accept on the API socket failed: {}", e.toString());
          sleepQuietly();
        }
        continue;
      }
      try {
        pool.execute(() -> serve(s));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        LOG.warn("refusing a connection: {} connections already open (api.maxConnections)", limits.maxConnections());
        closeQuietly(s);
      }
    }
  }

  private void serve(AFUNIXSocket s) {
    open.add(s);
    try {
      s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, limits.readTimeout().toMillis()));
      AFUNIXSocketCredentials c = s.getPeerCredentials();
      Subject who = subjects.subject((int) c.getUid(), (int) c.getGid(), c.getPid());
      FrameChannel ch = new FrameChannel(s, limits.maxFrameBytes());
      while (!closed) {
        byte[] frame;
        try {
          frame = ch.read();
        } catch (FrameChannel.FrameTooLarge e) {
          LOG.info("uid {}: {}; closing the connection", who.uid(), e.getMessage());
          reply(ch, error(ApiError.invalidRequest("message larger than " + limits.maxFrameBytes() + " bytes (api.maxFrameBytes)")));
          metrics.call("(invalid)", "InvalidRequest");
          return;
        } catch (SocketTimeoutException e) {
          return; // idle or half-sent frame for longer than api.readTimeout
        }
        if (frame == null) {
          return;
        }
        handle(who, frame, ch);
      }
    } catch (IOException e) {
      LOG.debug("connection ended: {}", e.toString());
    } catch (RuntimeException e) {
      LOG.error("connection handler failed", e);
    } finally {
      open.remove(s);
      closeQuietly(s);
    }
  }

  private void handle(Subject who, byte[] frame, FrameChannel ch) throws IOException {
    String method = "(invalid)";
    boolean oneway = false;
    try {
      JsonNode node;
      try {
        node = json.readTree(frame);
      } catch (JsonProcessingException e) {
        throw ApiError.invalidRequest("message is not JSON: " + e.getOriginalMessage());
      }
      if (node == null || !node.isObject()) {
        throw ApiError.invalidRequest("message is not a JSON object");
      }
      for (var it = node.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!CALL_FIELDS.contains(f)) {
          throw ApiError.invalidRequest("unknown field '" + f + "' in the call");
        }
      }
      JsonNode m = node.get("method");
      JsonNode p = node.get("parameters");
      if (m == null || !m.isTextual()) {
        throw ApiError.invalidRequest("the call has no string field 'method'");
      }
      if (p != null && !p.isNull() && !p.isObject()) {
        throw ApiError.invalidRequest("'parameters' must be an object");
      }
      method = m.textValue();
      boolean more = flag(node, "more");
      oneway = flag(node, "oneway");
      if (flag(node, "upgrade")) {
        throw ApiError.invalidRequest("this service does not support protocol upgrades");
      }
      boolean silent = oneway;
      ReplySink sink =
          new ReplySink() {
            @Override
            public void reply(ObjectNode parameters, boolean continues) throws IOException {
              if (!silent) {
                ObjectNode r = json.createObjectNode();
                r.set("parameters", parameters);
                if (continues) {
                  r.put("continues", true);
                }
                ApiServer.this.reply(ch, r);
              }
            }

            @Override
            public boolean peerGone() {
              return closed || ch.peerClosed();
            }
          };
      dispatcher.dispatch(who, method, p == null || p.isNull() ? null : (ObjectNode) p, more, sink);
      metrics.call(method, null);
    } catch (ApiError e) {
      metrics.call(method, e.name());
      if (!oneway) {
        reply(ch, error(e));
      }
    } catch (RuntimeException e) {
      LOG.error("call {} by uid {} failed", method, who.uid(), e);
      metrics.call(method, "Internal");
      if (!oneway) {
        reply(ch, error(ApiError.internal(e.toString())));
      }
    }
  }

  private static boolean flag(JsonNode node, String name) throws ApiError {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw ApiError.invalidRequest("'" + name + "' must be a boolean");
    }
    return v.booleanValue();
  }

  private ObjectNode error(ApiError e) {
    ObjectNode r = json.createObjectNode();
    r.put("error", e.name());
    r.set("parameters", e.parameters());
    return r;
  }

  private void reply(FrameChannel ch, ObjectNode r) throws IOException {
    ch.write(json.writeValueAsBytes(r));
  }

  /** Stops accepting, ends streams and closes every connection. */
  @Override
  public void close() {
    closed = true;
    dispatcher.close();
    try {
      server.close();
    } catch (IOException e) {
      LOG.debug("closing the server socket: {}", e.toString());
    }
    for (AFUNIXSocket s : open) {
      closeQuietly(s);
    }
    pool.shutdown();
    try {
      acceptor.join(2000);
      pool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(AFUNIXSocket s) {
    try {
      s.close();
    } catch (IOException e) {
      // already gone
    }
  }

  private static void sleepQuietly() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
