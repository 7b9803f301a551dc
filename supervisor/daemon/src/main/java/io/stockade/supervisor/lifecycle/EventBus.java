package io.stockade.supervisor.lifecycle;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fans state changes out to subscribers (Events streams, the log). A subscriber that does not keep
 * up loses its subscription rather than slowing the lifecycle down: {@link Subscription#poll}
 * then reports it as overflowed.
 */
public final class EventBus {
  private static final Logger LOG = LoggerFactory.getLogger(EventBus.class);
  private static final int QUEUE = 1024;

  private final CopyOnWriteArrayList<Subscription> subscribers = new CopyOnWriteArrayList<>();

  void publish(SandboxEvent event) {
    LOG.info(
        "sandbox {} (uid {}): {} -> {}{}",
        event.id(),
        event.ownerUid(),
        event.from() == null ? "-" : event.from().wireName(),
        event.to().wireName(),
        event.reason() == null ? "" : " (" + event.reason() + ")");
    for (Subscription s : subscribers) {
      if (s.filter.test(event) && !s.queue.offer(event)) {
        s.overflowed = true;
        subscribers.remove(s);
      }
    }
  }

  public Subscription subscribe(Predicate<SandboxEvent> filter) {
    Subscription s = new Subscription(filter);
    subscribers.add(s);
    return s;
  }

  /** Open subscriptions (tests check that hung-up clients released theirs). */
  public int subscriberCountForTests() {
    return subscribers.size();
  }

  /** One subscriber's queue; close it when the client goes away. */
  public final class Subscription implements AutoCloseable {
    private final Predicate<SandboxEvent> filter;
    private final BlockingQueue<SandboxEvent> queue = new ArrayBlockingQueue<>(QUEUE);
    private volatile boolean overflowed;

    private Subscription(Predicate<SandboxEvent> filter) {
      this.filter = filter;
    }

    /** The next event, or null after the timeout. */
    public SandboxEvent poll(long timeoutMillis) throws InterruptedException {
      return queue.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    public boolean overflowed() {
      return overflowed;
    }

    @Override
    public void close() {
      subscribers.remove(this);
    }
  }
}
