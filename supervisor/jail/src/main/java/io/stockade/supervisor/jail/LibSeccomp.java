package io.stockade.supervisor.jail;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * Every call into libseccomp. Loaded by its full soname: hosts carry libseccomp.so.2 but not the
 * -dev symlink libseccomp.so. A load failure is remembered and rethrown on each use.
 */
final class LibSeccomp {
  static final int ACT_KILL_PROCESS = 0x80000000;
  static final int ACT_KILL_THREAD = 0x00000000;
  static final int ACT_TRAP = 0x00030000;
  static final int ACT_ERRNO = 0x00050000;
  static final int ACT_LOG = 0x7ffc0000;
  static final int ACT_ALLOW = 0x7fff0000;
  /** SCMP_FLTATR_ACT_BADARCH: what a call from another ABI (x32, i386) gets. */
  static final int ATTR_ACT_BADARCH = 2;
  private static final int ARG_CMP_SIZE = 24; // struct scmp_arg_cmp {uint arg; int op; u64 a; u64 b;}

  interface Api extends Library {
    Pointer seccomp_init(int defAction);

    void seccomp_release(Pointer ctx);

    int seccomp_attr_set(Pointer ctx, int attr, int value);

    int seccomp_syscall_resolve_name(String name);

    int seccomp_rule_add_array(Pointer ctx, int action, int syscall, int argCount, Pointer args);

    int seccomp_export_bpf(Pointer ctx, int fd);
  }

  private static final Api API;
  private static final Throwable LOAD_ERROR;

  static {
    Api api = null;
    Throwable error = null;
    try {
      api = Native.load("libseccomp.so.2", Api.class);
    } catch (Throwable t) { // UnsatisfiedLinkError or a JNA setup error: reported on first use
      error = t;
    }
    API = api;
    LOAD_ERROR = error;
  }

  private LibSeccomp() {}

  static Api api() throws JailException {
    if (API == null) {
      throw new JailException(
          "load_libseccomp", 0,
          "cannot load libseccomp.so.2 (" + LOAD_ERROR + "): install the libseccomp2 package",
          LOAD_ERROR);
    }
    return API;
  }

  /** Packs argument comparisons as the C array seccomp_rule_add_array expects. */
  static Pointer argArray(int[] index, int[] op, long[] a, long[] b) {
    if (index.length == 0) {
      return null;
    }
    Memory m = new Memory((long) ARG_CMP_SIZE * index.length);
    for (int i = 0; i < index.length; i++) {
      long off = (long) i * ARG_CMP_SIZE;
      m.setInt(off, index[i]);
      m.setInt(off + 4, op[i]);
      m.setLong(off + 8, a[i]);
      m.setLong(off + 16, b[i]);
    }
    return m;
  }
}
