package io.stockade.supervisor.lifecycle;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supervisor shutdown: every running sandbox is stopped in parallel with the graceful sequence.
 * When the drain budget is spent, the remaining stops are hurried to an immediate kill.
 */
public final class Drain {
  private static final Logger LOG = LoggerFactory.getLogger(Drain.class);
  /** After hurrying, kills must finish within this. */
  private static final Duration AFTER_HURRY = Duration.ofSeconds(15);

  private final Runner runner;
  private final StopBudgets budgets;
  private final Collection<Sandbox> sandboxes;
  private final Predicate<Sandbox> beginStop;

  /** Sandboxes stopped, whether the budget ran out, and those still not stopped. */
  public record Result(int stopped, boolean hurried, int remaining, Duration took) {}

  Drain(Runner runner, StopBudgets budgets, Collection<Sandbox> sandboxes, Predicate<Sandbox> beginStop) {
    this.runner = runner;
    this.budgets = budgets;
    this.sandboxes = sandboxes;
    this.beginStop = beginStop;
  }

  Result run(Duration budget) {
    Instant t0 = Instant.now();
    List<Sandbox> targets = new ArrayList<>();
    for (Sandbox sb : sandboxes) {
      SandboxState st = sb.state();
      if ((st == SandboxState.RUNNING || st == SandboxState.PAUSED) && beginStop.test(sb)) {
        targets.add(sb);
      }
    }
    if (targets.isEmpty()) {
      return new Result(0, false, 0, Duration.between(t0, Instant.now()));
    }
    LOG.info("draining {} sandboxes within {}", targets.size(), budget);
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.min(targets.size(), 64),
            r -> {
              Thread t = new Thread(r, "drain");
              t.setDaemon(true);
              return t;
            });
    List<Future<?>> futures = new ArrayList<>();
    for (Sandbox sb : targets) {
      futures.add(pool.submit(() -> runner.stop(sb, Runner.StopMode.GRACEFUL, null, "supervisor shutdown")));
    }
    boolean hurried = !awaitAll(futures, System.nanoTime() + budget.toNanos());
    if (hurried) {
      LOG.warn("drain budget {} spent: killing what is left", budget);
      budgets.hurry();
      awaitAll(futures, System.nanoTime() + AFTER_HURRY.toNanos());
    }
    pool.shutdownNow();
    int remaining = (int) targets.stream().filter(sb -> sb.state().isLive()).count();
    Duration took = Duration.between(t0, Instant.now());
    LOG.info("drained {} sandboxes in {} ms ({} still live)", targets.size() - remaining, took.toMillis(), remaining);
    return new Result(targets.size() - remaining, hurried, remaining, took);
  }

  private static boolean awaitAll(List<Future<?>> futures, long deadlineNanos) {
    for (Future<?> f : futures) {
      long left = deadlineNanos - System.nanoTime();
      try {
        f.get(Math.max(0, left), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (java.util.concurrent.ExecutionException e) {
        LOG.error("stop failed during drain", e.getCause());
      }
    }
    return true;
  }
}
