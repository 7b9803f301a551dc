package io.stockade.supervisor.preflight;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.util.Map;

/**
 * Every libc call preflight makes, in one place. Results are plain ints: a non-negative value, or
 * minus the errno, so callers branch on the errno they care about without exception plumbing.
 */
final class Libc {
  static final int O_RDWR = 2;
  static final int O_CLOEXEC = 0x80000;
  static final int PR_GET_SECCOMP = 21;

  // <linux/kvm.h>: _IO(KVMIO=0xAE, nr)
  static final long KVM_GET_API_VERSION = 0xAE00;
  static final long KVM_CREATE_VM = 0xAE01;
  static final long KVM_CHECK_EXTENSION = 0xAE03;

  static final int EPERM = 1;
  static final int ENOENT = 2;
  static final int ENXIO = 6;
  static final int EACCES = 13;
  static final int ENODEV = 19;
  static final int EINVAL = 22;
  static final int ENOTTY = 25;

  private static final Map<Integer, String> ERRNO_NAMES =
      Map.ofEntries(
          Map.entry(EPERM, "EPERM"),
          Map.entry(ENOENT, "ENOENT"),
          Map.entry(5, "EIO"),
          Map.entry(ENXIO, "ENXIO"),
          Map.entry(9, "EBADF"),
          Map.entry(12, "ENOMEM"),
          Map.entry(EACCES, "EACCES"),
          Map.entry(16, "EBUSY"),
          Map.entry(ENODEV, "ENODEV"),
          Map.entry(20, "ENOTDIR"),
          Map.entry(21, "EISDIR"),
          Map.entry(EINVAL, "EINVAL"),
          Map.entry(24, "EMFILE"),
          Map.entry(ENOTTY, "ENOTTY"),
          Map.entry(28, "ENOSPC"),
          Map.entry(30, "EROFS"));

  interface Api extends Library {
    int open(String path, int flags) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int ioctl(int fd, long request, long arg) throws LastErrorException;

    int prctl(int option, long arg2, long arg3, long arg4, long arg5) throws LastErrorException;

    int geteuid();

    int getegid();
  }

  private static final Api API = Native.load("c", Api.class);

  private Libc() {}

  /** Opens read-write with O_CLOEXEC; returns the fd or -errno. */
  static int openReadWrite(String path) {
    try {
      return API.open(path, O_RDWR | O_CLOEXEC);
    } catch (LastErrorException e) {
      return -e.getErrorCode();
    }
  }

  static void close(int fd) {
    try {
      API.close(fd);
    } catch (LastErrorException e) {
      // Nothing to recover: the fd was ours and is gone either way.
    }
  }

  /** ioctl with an integer argument; returns the result or -errno. */
  static int ioctl(int fd, long request, long arg) {
    try {
      return API.ioctl(fd, request, arg);
    } catch (LastErrorException e) {
      return -e.getErrorCode();
    }
  }

  /** prctl(PR_GET_SECCOMP): 0 or 2 (mode), or -errno (EINVAL: kernel without CONFIG_SECCOMP). */
  static int seccompMode() {
    try {
      return API.prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
    } catch (LastErrorException e) {
      return -e.getErrorCode();
    }
  }

  static int geteuid() {
    return API.geteuid();
  }

  static int getegid() {
    return API.getegid();
  }

  /**
   * Loads libseccomp by its full soname (hosts carry libseccomp.so.2, not the -dev symlink) and
   * returns its version "major.minor.micro".
   */
  static String libseccompVersion() {
    NativeLibrary lib = NativeLibrary.getInstance("libseccomp.so.2");
    Pointer v = lib.getFunction("seccomp_version").invokePointer(new Object[0]);
    return v.getInt(0) + "." + v.getInt(4) + "." + v.getInt(8);
  }

  static String errnoName(int errno) {
    return ERRNO_NAMES.getOrDefault(errno, "errno " + errno);
  }
}
