package io.stockade.supervisor.net;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Slots built in advance: namespace, veth pair, routes, a TAP owned by root and the sandbox table
 * with an empty allowlist (deny all), but no host set element, so nothing passes. Attach takes one
 * and only fills in what depends on the sandbox; a slot is never reused after a sandbox had it
 * (detach destroys it and the pool builds a fresh one), so no state leaks between sandboxes.
 * Pooled slots are leased as {@value #POOL_OWNER}; a restarted supervisor reconciles them away.
 */
final class SlotPool implements AutoCloseable {
  static final String POOL_OWNER = "@pool";
  private static final Logger LOG = LoggerFactory.getLogger(SlotPool.class);

  private final int target;
  private final SlotLeases leases;
  private final Builder builder;
  private final ConcurrentLinkedQueue<SlotAddresses> ready = new ConcurrentLinkedQueue<>();
  private final Set<Integer> owned = ConcurrentHashMap.newKeySet();
  private final ExecutorService filler;
  private final AtomicBoolean filling = new AtomicBoolean();
  private volatile boolean closed;

  interface Builder {
    /** Builds the slot's deny-all network; on failure leaves nothing behind and throws. */
    void prepare(SlotAddresses a) throws NetworkException;

    void teardown(SlotAddresses a);

    SlotAddresses addresses(int slot);
  }

  private final java.util.function.BooleanSupplier attaching;

  /** {@code attaching}: true while an attach runs; building spares waits for it (latency first). */
  SlotPool(int target, SlotLeases leases, java.util.function.BooleanSupplier attaching,
      Builder builder) {
    this.attaching = attaching;
    this.target = target;
    this.leases = leases;
    this.builder = builder;
    this.filler = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "stockade-net-pool");
      t.setDaemon(true);
      return t;
    });
  }

  /** A prepared slot leased to the pool, or null when none is ready (the caller builds one). */
  SlotAddresses take() {
    SlotAddresses a = ready.poll();
    refill();
    return a;
  }

  int ready() {
    return ready.size();
  }

  /** Slots the pool holds (kept by reconcile). */
  Set<Integer> slots() {
    synchronized (owned) {
      return Set.copyOf(owned);
    }
  }

  /** A slot handed out by {@link #take} belongs to its sandbox now. */
  void handedOut(SlotAddresses a) {
    owned.remove(a.slot());
  }

  void refill() {
    if (target == 0 || closed || !filling.compareAndSet(false, true)) {
      return;
    }
    filler.execute(() -> {
      try {
        while (!closed && ready.size() < target) {
          long waitUntil = System.nanoTime() + 2_000_000_000L;
          while (attaching.getAsBoolean() && System.nanoTime() < waitUntil) {
            Thread.sleep(1);
          }
          int slot;
          synchronized (owned) {
            slot = leases.acquire(POOL_OWNER);
            owned.add(slot);
          }
          SlotAddresses a = builder.addresses(slot);
          try {
            builder.prepare(a);
            ready.add(a);
          } catch (NetworkException | RuntimeException e) {
            owned.remove(slot);
            leases.release(slot);
            LOG.warn("building a spare network slot failed (attach builds on demand): {}",
                e.getMessage());
            return;
          }
        }
      } catch (NetworkException e) {
        LOG.warn("no spare network slot: {}", e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        filling.set(false);
      }
    });
  }

  @Override
  public void close() {
    closed = true;
    filler.shutdownNow();
    try {
      filler.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<SlotAddresses> left = new ArrayList<>();
    SlotAddresses a;
    while ((a = ready.poll()) != null) {
      left.add(a);
    }
    for (SlotAddresses s : left) {
      builder.teardown(s);
      owned.remove(s.slot());
      leases.release(s.slot());
    }
  }
}
