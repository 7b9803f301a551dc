package io.stockade.supervisor.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds slots that belong to no live sandbox and removes them: leases whose id is not live (or
 * empty, torn by a crash), namespaces (a process sandbox's workload namespace too), host veths and host set elements carrying this manager's
 * name prefix without a live lease. Teardowns run four at a time; the whole run is bounded.
 */
final class Reconciler {
  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
  private static final int PARALLEL = 4;

  private final NetConfig config;
  private final Plumbing plumbing;
  private final SlotLeases leases;

  Reconciler(NetConfig config, Plumbing plumbing, SlotLeases leases) {
    this.config = config;
    this.plumbing = plumbing;
    this.leases = leases;
  }

  void run(Set<String> liveIds, java.util.function.Supplier<Set<Integer>> busy) {
    Map<Integer, String> leased = leases.all();
    Set<Integer> inFlight = busy.get();
    Set<Integer> keep = new TreeSet<>();
    leased.forEach((slot, id) -> {
      if (liveIds.contains(id)) {
        keep.add(slot);
      }
    });
    keep.addAll(inFlight);
    Set<Integer> orphans = new TreeSet<>(leased.keySet());
    orphans.addAll(namespaceSlots());
    orphans.addAll(hostVethSlots());
    orphans.addAll(hostElementSlots());
    orphans.removeAll(keep);
    // Slots leased or taken while we looked belong to an attach or the pool now: not orphans.
    Map<Integer, String> now = leases.all();
    orphans.removeIf(slot -> now.containsKey(slot) && !leased.containsKey(slot));
    orphans.removeAll(busy.get());
    if (orphans.isEmpty()) {
      return;
    }
    LOG.info("reconcile: removing {} orphaned network slot(s): {}", orphans.size(), orphans);
    ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
    List<Future<?>> work = new ArrayList<>();
    for (int slot : orphans) {
      work.add(pool.submit(() -> {
        plumbing.teardown(SlotAddresses.of(config, slot));
        leases.release(slot);
      }));
    }
    pool.shutdown();
    long deadline = System.nanoTime()
        + config.commandTimeout().toNanos() * 4 * (orphans.size() / PARALLEL + 1);
    for (Future<?> f : work) {
      try {
        f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        LOG.warn("reconcile: teardown did not finish in time; the next reconcile retries");
        pool.shutdownNow();
        return;
      } catch (InterruptedException e) {
        pool.shutdownNow();
        Thread.currentThread().interrupt();
        return;
      } catch (java.util.concurrent.ExecutionException e) {
        LOG.warn("reconcile: teardown failed: {}", e.getCause().toString());
      }
    }
  }

  private Set<Integer> namespaceSlots() {
    // Sandbox namespaces <prefix>-<n> and process sandboxes' workload namespaces <prefix>-w<n>.
    Pattern p = Pattern.compile(Pattern.quote(config.namePrefix() + "-") + "w?(\\d{1,4})");
    Set<Integer> out = new TreeSet<>();
    try (Stream<Path> files = Files.list(Path.of("/run/netns"))) {
      files.forEach(f -> collect(p.matcher(f.getFileName().toString()), out));
    } catch (IOException e) {
      // no /run/netns: no namespaces to reconcile
    }
    return out;
  }

  private Set<Integer> hostVethSlots() {
    Pattern p = Pattern.compile(Pattern.quote(config.namePrefix() + "h") + "(\\d{1,4})");
    Set<Integer> out = new TreeSet<>();
    try {
      plumbing.hostLinkNames().forEach(n -> collect(p.matcher(n), out));
    } catch (NetworkException e) {
      LOG.warn("reconcile: cannot list host links: {}", e.getMessage());
    }
    return out;
  }

  private Set<Integer> hostElementSlots() {
    Pattern p = Pattern.compile(Pattern.quote(config.namePrefix() + "h") + "(\\d{1,4})");
    Set<Integer> out = new TreeSet<>();
    try {
      HostFirewall.elements(plumbing.listHostSet()).forEach(e -> collect(p.matcher(e[0]), out));
    } catch (NetworkException e) {
      LOG.warn("reconcile: cannot list host set: {}", e.getMessage());
    }
    return out;
  }

  private void collect(Matcher m, Set<Integer> out) {
    if (m.matches()) {
      int slot = Integer.parseInt(m.group(1));
      if (slot >= config.firstSlot() && slot < config.firstSlot() + config.slotCount()) {
        out.add(slot);
      }
    }
  }
}
