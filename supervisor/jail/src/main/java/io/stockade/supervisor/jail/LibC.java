package io.stockade.supervisor.jail;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

/** Every call into libc that the JDK does not offer: memfd, pidfd. */
final class LibC {
  // The same numbers on every architecture since Linux 5.1's unified syscall table.
  private static final long SYS_PIDFD_SEND_SIGNAL = 424;
  private static final long SYS_PIDFD_OPEN = 434;
  static final int ESRCH = 3;
  static final int ENOSYS = 38;

  interface Api extends Library {
    int memfd_create(String name, int flags) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    long syscall(long number, Object... args) throws LastErrorException;
  }

  private static final Api API;
  private static final Throwable LOAD_ERROR;

  static {
    Api api = null;
    Throwable error = null;
    try {
      api = Native.load("c", Api.class);
    } catch (Throwable t) { // reported on first use
      error = t;
    }
    API = api;
    LOAD_ERROR = error;
  }

  private LibC() {}

  private static Api api() {
    if (API == null) {
      throw new IllegalStateException("cannot load libc through JNA: " + LOAD_ERROR, LOAD_ERROR);
    }
    return API;
  }

  /** A close-on-exec memfd; read it back through /proc/self/fd/N. */
  static int memfdCreate(String name) throws JailException {
    try {
      return api().memfd_create(name, 1 /* MFD_CLOEXEC */);
    } catch (LastErrorException e) {
      throw new JailException("memfd_create", e.getErrorCode(), "memfd_create " + name + ": errno " + e.getErrorCode(), e);
    }
  }

  static void close(int fd) {
    try {
      api().close(fd);
    } catch (LastErrorException e) {
      // close only fails for a bad fd, which would be a bug; nothing to undo
    }
  }

  /** Returns a pidfd, or -errno. */
  static int pidfdOpen(long pid) {
    try {
      return (int) api().syscall(SYS_PIDFD_OPEN, (int) pid, 0);
    } catch (LastErrorException e) {
      return -e.getErrorCode();
    }
  }

  /** Returns 0, or -errno (ESRCH once the process has exited, even if its pid was reused). */
  static int pidfdSendSignal(int pidfd, int signal) {
    try {
      return (int) api().syscall(SYS_PIDFD_SEND_SIGNAL, pidfd, signal, null, 0);
    } catch (LastErrorException e) {
      return -e.getErrorCode();
    }
  }
}
