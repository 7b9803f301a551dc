package io.stockade.supervisor.net;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/** The few libc calls the TAP probe needs; all of this module's JNA is here. */
final class Libc {
  static final int O_RDONLY = 0;
  static final int O_RDWR = 2;
  static final int O_NONBLOCK = 04000;
  static final int O_CLOEXEC = 02000000;
  static final int CLONE_NEWNET = 0x40000000;
  static final long TUNSETIFF = 0x400454caL;
  static final long TUNSETOWNER = 0x400454ccL;
  static final long TUNSETGROUP = 0x400454ceL;
  static final short IFF_TAP = 0x0002;
  static final short IFF_NO_PI = 0x1000;
  static final short POLLIN = 0x1;
  static final long MS_BIND = 4096;
  static final int MNT_DETACH = 2;
  static final int O_CREAT = 0100;
  static final int O_EXCL = 0200;

  interface C extends Library {
    int open(String path, int flags);

    int close(int fd);

    int setns(int fd, int nstype);

    int ioctl(int fd, NativeLong request, Pointer arg);

    int ioctl(int fd, NativeLong request, NativeLong arg);

    NativeLong read(int fd, byte[] buf, NativeLong count);

    NativeLong write(int fd, byte[] buf, NativeLong count);

    int poll(Pointer fds, NativeLong nfds, int timeoutMs);

    int unshare(int flags);

    int mount(String source, String target, String fstype, NativeLong flags, Pointer data);

    int umount2(String target, int flags);
  }

  private static final C C_LIB = Native.load("c", C.class,
      java.util.Map.of(Library.OPTION_STRING_ENCODING, "UTF-8"));

  private Libc() {}

  static int errno() {
    return Native.getLastError();
  }

  static int open(String path, int flags) {
    return C_LIB.open(path, flags | O_CLOEXEC);
  }

  static void close(int fd) {
    if (fd >= 0) {
      C_LIB.close(fd);
    }
  }

  static int unshareNet() {
    return C_LIB.unshare(CLONE_NEWNET);
  }

  static int bindMount(String source, String target) {
    return C_LIB.mount(source, target, "none", new NativeLong(MS_BIND), null);
  }

  static int detach(String target) {
    return C_LIB.umount2(target, MNT_DETACH);
  }

  static int setns(int fd) {
    return C_LIB.setns(fd, CLONE_NEWNET);
  }

  /** Attaches {@code fd} (an open /dev/net/tun) to the TAP named {@code name}; 0 or -1. */
  static int attachTap(int fd, String name) {
    Memory ifreq = new Memory(40);
    ifreq.clear();
    byte[] n = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    ifreq.write(0, n, 0, Math.min(n.length, 15));
    ifreq.setShort(16, (short) (IFF_TAP | IFF_NO_PI));
    return C_LIB.ioctl(fd, new NativeLong(TUNSETIFF), ifreq);
  }

  /** Hands the attached TAP to uid/gid, so an unprivileged process of theirs may open it. */
  static int setTapOwner(int fd, int uid, int gid) {
    if (C_LIB.ioctl(fd, new NativeLong(TUNSETOWNER), new NativeLong(uid)) != 0) {
      return -1;
    }
    return C_LIB.ioctl(fd, new NativeLong(TUNSETGROUP), new NativeLong(gid));
  }

  static long write(int fd, byte[] frame) {
    return C_LIB.write(fd, frame, new NativeLong(frame.length)).longValue();
  }

  static long read(int fd, byte[] buf) {
    return C_LIB.read(fd, buf, new NativeLong(buf.length)).longValue();
  }

  /** Waits until {@code fd} is readable; true if it is, false on timeout. */
  static boolean pollIn(int fd, int timeoutMs) {
    Memory pfd = new Memory(8);
    pfd.setInt(0, fd);
    pfd.setShort(4, POLLIN);
    pfd.setShort(6, (short) 0);
    return C_LIB.poll(pfd, new NativeLong(1), timeoutMs) > 0;
  }
}
