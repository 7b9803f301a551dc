package io.stockade.supervisor.net;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Runs a piece of work on the calling thread after joining a network namespace, and returns the
 * thread to its own namespace afterwards (setns(2) changes only the calling thread). Work done
 * there: libnftables calls, sysctl writes (/proc/sys/net is per namespace of the opening thread),
 * opening the TAP, creating new namespaces with unshare(2), and child processes (they inherit the
 * thread's namespace).
 *
 * <p>The calling thread rather than a fresh one: on a loaded host each hand-off to another thread
 * costs a scheduling delay (measured: 2-80 ms at load 15 on 2 cores) while the work itself takes
 * about 2 ms. Going back cannot fail short of the kernel running out of memory, since we hold a
 * descriptor of the original namespace; if it does, the thread must not be used again, so that
 * case throws an {@link Error}.
 */
final class InNamespace {
  private InNamespace() {}

  interface Work<T> {
    T run() throws NetworkException;
  }

  /** Runs {@code work} in {@code netns} (empty = right here). */
  static <T> T run(Optional<Path> netns, String step, Work<T> work) throws NetworkException {
    if (netns.isEmpty()) {
      return work.run();
    }
    int self = Libc.open("/proc/thread-self/ns/net", Libc.O_RDONLY);
    if (self < 0) {
      throw new NetworkException(step, step + ": cannot open /proc/thread-self/ns/net (errno "
          + Libc.errno() + ")");
    }
    try {
      int target = Libc.open(netns.get().toString(), Libc.O_RDONLY);
      if (target < 0) {
        throw new NetworkException(step, step + ": cannot open network namespace " + netns.get()
            + " (errno " + Libc.errno() + "): does it still exist? run reconcile");
      }
      try {
        if (Libc.setns(target) != 0) {
          throw new NetworkException(step, step + ": cannot enter network namespace "
              + netns.get() + " (errno " + Libc.errno() + ")");
        }
      } finally {
        Libc.close(target);
      }
      try {
        return work.run();
      } finally {
        returnTo(self);
      }
    } finally {
      Libc.close(self);
    }
  }

  private static void returnTo(int self) {
    if (Libc.setns(self) != 0) {
      throw new IllegalThreadStateError("cannot return thread " + Thread.currentThread().getName()
          + " to its network namespace (errno " + Libc.errno() + ")");
    }
  }

  /** This thread is in the wrong network namespace and must not continue. */
  static final class IllegalThreadStateError extends Error {
    IllegalThreadStateError(String message) {
      super(message);
    }
  }

  /**
   * Creates a network namespace and pins it with a bind mount at {@code path} (what {@code ip netns
   * add} does, without a process), then runs {@code setup} inside it.
   */
  static void create(Path path, String step, Work<Void> setup) throws NetworkException {
    try {
      java.nio.file.Files.createDirectories(path.getParent());
    } catch (java.io.IOException e) {
      throw new NetworkException(step, step + ": cannot create " + path.getParent() + ": " + e);
    }
    int fd = Libc.open(path.toString(), Libc.O_RDONLY | Libc.O_CREAT | Libc.O_EXCL);
    if (fd < 0) {
      throw new NetworkException(step, step + ": cannot create " + path + " (errno "
          + Libc.errno() + "): a namespace of that name exists; run reconcile");
    }
    Libc.close(fd);
    int self = Libc.open("/proc/thread-self/ns/net", Libc.O_RDONLY);
    if (self < 0) {
      throw new NetworkException(step, step + ": cannot open /proc/thread-self/ns/net");
    }
    try {
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
        returnTo(self);
      }
    } finally {
      Libc.close(self);
    }
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
