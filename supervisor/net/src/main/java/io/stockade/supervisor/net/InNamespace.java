package io.stockade.supervisor.net;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a piece of work on a thread that has joined a network namespace (setns(2) changes only the
 * calling thread). The thread is fresh and dies afterwards, so a failure to switch back can never
 * leave a pooled thread in a sandbox's namespace. Work done there: libnftables calls, sysctl
 * writes (/proc/sys/net is per namespace of the opening thread), opening the TAP, and creating
 * new namespaces with unshare(2).
 */
final class InNamespace {
  private InNamespace() {}

  interface Work<T> {
    T run() throws NetworkException;
  }

  /** Runs {@code work} in {@code netns} (empty = this thread's namespace, on a fresh thread too). */
  static <T> T run(Optional<Path> netns, String step, Work<T> work) throws NetworkException {
    AtomicReference<Object> result = new AtomicReference<>();
    Thread t = new Thread(() -> {
      int self = -1;
      int target = -1;
      try {
        if (netns.isPresent()) {
          self = Libc.open("/proc/thread-self/ns/net", Libc.O_RDONLY);
          target = Libc.open(netns.get().toString(), Libc.O_RDONLY);
          if (self < 0 || target < 0 || Libc.setns(target) != 0) {
            result.set(new NetworkException(step, step + ": cannot enter network namespace "
                + netns.get() + " (errno " + Libc.errno() + "): does it still exist?"));
            return;
          }
        }
        try {
          result.set(new Holder(work.run()));
        } catch (NetworkException | RuntimeException e) {
          result.set(e);
        }
        if (self >= 0 && Libc.setns(self) != 0) {
          // This thread dies now; nothing else will run in the wrong namespace.
          result.compareAndSet(null, new NetworkException(step, "cannot leave namespace"));
        }
      } finally {
        Libc.close(self);
        Libc.close(target);
      }
    }, "stockade-netns");
    t.start();
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NetworkException(step, step + ": interrupted");
    }
    Object r = result.get();
    if (r instanceof NetworkException e) {
      throw e;
    }
    if (r instanceof RuntimeException e) {
      throw e;
    }
    @SuppressWarnings("unchecked")
    T value = (T) ((Holder) r).value;
    return value;
  }

  private record Holder(Object value) {}

  /**
   * Creates a network namespace and pins it with a bind mount at {@code path} (what {@code ip netns
   * add} does, without a process), then runs {@code setup} inside it.
   */
  static void create(Path path, String step, Work<Void> setup) throws NetworkException {
    run(Optional.empty(), step, () -> {
      int self = Libc.open("/proc/thread-self/ns/net", Libc.O_RDONLY);
      try {
        java.nio.file.Files.createDirectories(path.getParent());
        int fd = Libc.open(path.toString(), Libc.O_RDONLY | Libc.O_CREAT | Libc.O_EXCL);
        if (fd < 0) {
          throw new NetworkException(step, step + ": cannot create " + path + " (errno "
              + Libc.errno() + "): a namespace of that name exists; run reconcile");
        }
        Libc.close(fd);
        if (Libc.unshareNet() != 0) {
          throw new NetworkException(step, step + ": unshare(CLONE_NEWNET) failed (errno "
              + Libc.errno() + "): the supervisor needs CAP_SYS_ADMIN");
        }
        try {
          if (Libc.bindMount("/proc/thread-self/ns/net", path.toString()) != 0) {
            throw new NetworkException(step, step + ": cannot bind-mount the namespace on "
                + path + " (errno " + Libc.errno() + ")");
          }
          setup.run();
        } finally {
          if (Libc.setns(self) != 0) {
            throw new NetworkException(step, step + ": cannot return to the supervisor's network"
                + " namespace (errno " + Libc.errno() + ")");
          }
        }
        return null;
      } catch (java.io.IOException e) {
        throw new NetworkException(step, step + ": cannot create " + path.getParent() + ": " + e);
      } finally {
        Libc.close(self);
      }
    });
  }

  /** Unpins a namespace created by {@link #create}; false if it was not there. */
  static boolean delete(Path path) {
    Libc.detach(path.toString());
    try {
      return java.nio.file.Files.deleteIfExists(path);
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** Writes sysctls of the calling thread's network namespace (call inside {@link #run}). */
  static void writeSysctl(String step, String key, String value) throws NetworkException {
    Path file = Path.of("/proc/sys", key.replace('.', '/'));
    try {
      java.nio.file.Files.writeString(file, value, StandardCharsets.US_ASCII);
    } catch (java.io.IOException e) {
      throw new NetworkException(step, step + ": cannot write " + value + " to " + file + ": " + e);
    }
  }
}
