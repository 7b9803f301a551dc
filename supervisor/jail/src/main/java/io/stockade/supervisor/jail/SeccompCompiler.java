package io.stockade.supervisor.jail;

import com.sun.jna.Pointer;
import io.stockade.policy.seccomp.SeccompProfile;
import io.stockade.policy.seccomp.SeccompProfileException;
import io.stockade.policy.seccomp.SeccompProfiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compiles seccomp profiles (data) to classic BPF with libseccomp. Profiles do not change at run
 * time, so each is compiled once per process and the bytes reused for every launch.
 */
final class SeccompCompiler {
  private static final Map<String, byte[]> CACHE = new ConcurrentHashMap<>();

  private SeccompCompiler() {}

  /** The BPF program (struct sock_filter[]) for a shipped profile. */
  static byte[] compiled(String profileName) throws JailException {
    byte[] cached = CACHE.get(profileName);
    if (cached != null) {
      return cached;
    }
    SeccompProfile profile;
    try {
      profile = SeccompProfiles.load(profileName);
    } catch (SeccompProfileException e) {
      throw new JailException("seccomp_profile", 0, e.getMessage(), e);
    }
    byte[] bpf = compile(profile);
    CACHE.putIfAbsent(profileName, bpf);
    return bpf;
  }

  static byte[] compile(SeccompProfile profile) throws JailException {
    LibSeccomp.Api api = LibSeccomp.api();
    Pointer ctx = api.seccomp_init(action(profile.defaultAction(), 0));
    if (ctx == null) {
      throw new JailException("seccomp_init", 0, "seccomp_init failed for profile " + profile.name());
    }
    try {
      check(api.seccomp_attr_set(ctx, LibSeccomp.ATTR_ACT_BADARCH, LibSeccomp.ACT_KILL_PROCESS), "seccomp_attr_set", profile.name());
      for (SeccompProfile.Rule rule : profile.rules()) {
        addRule(api, ctx, profile.name(), rule);
      }
      return export(api, ctx, profile.name());
    } finally {
      api.seccomp_release(ctx);
    }
  }

  private static void addRule(LibSeccomp.Api api, Pointer ctx, String profile, SeccompProfile.Rule rule)
      throws JailException {
    int n = rule.args().size();
    int[] index = new int[n];
    int[] op = new int[n];
    long[] a = new long[n];
    long[] b = new long[n];
    for (int i = 0; i < n; i++) {
      SeccompProfile.Arg arg = rule.args().get(i);
      index[i] = arg.index();
      op[i] = arg.op().ordinal() + 1; // scmp_compare: SCMP_CMP_NE = 1 ... SCMP_CMP_MASKED_EQ = 7
      boolean masked = arg.op() == SeccompProfile.Op.MASKED_EQ;
      a[i] = masked ? arg.mask() : arg.value();
      b[i] = masked ? arg.value() : 0;
    }
    Pointer args = LibSeccomp.argArray(index, op, a, b);
    int act = action(rule.action(), rule.errno());
    for (String name : rule.syscalls()) {
      int nr = api.seccomp_syscall_resolve_name(name);
      if (nr < 0) {
        throw new JailException("seccomp_compile", 0,
            "seccomp profile " + profile + ": libseccomp does not know the system call \"" + name
                + "\" on this architecture: remove it from the profile or update libseccomp2");
      }
      check(api.seccomp_rule_add_array(ctx, act, nr, n, args), "seccomp_rule_add " + name, profile);
    }
  }

  private static byte[] export(LibSeccomp.Api api, Pointer ctx, String profile) throws JailException {
    int fd = LibC.memfdCreate("stockade-seccomp-" + profile);
    try {
      check(api.seccomp_export_bpf(ctx, fd), "seccomp_export_bpf", profile);
      return Files.readAllBytes(Path.of("/proc/self/fd/" + fd));
    } catch (IOException e) {
      throw new JailException("seccomp_export_bpf", 0, "cannot read the exported BPF of " + profile + ": " + e, e);
    } finally {
      LibC.close(fd);
    }
  }

  private static void check(int rc, String call, String profile) throws JailException {
    if (rc < 0) {
      throw new JailException("seccomp_compile", -rc, call + " failed for seccomp profile " + profile + ": errno " + -rc);
    }
  }

  static int action(SeccompProfile.Action action, int errno) {
    switch (action) {
      case ALLOW:
        return LibSeccomp.ACT_ALLOW;
      case ERRNO:
        return LibSeccomp.ACT_ERRNO | (errno & 0xffff);
      case KILL_THREAD:
        return LibSeccomp.ACT_KILL_THREAD;
      case TRAP:
        return LibSeccomp.ACT_TRAP;
      case LOG:
        return LibSeccomp.ACT_LOG;
      case KILL_PROCESS:
      default:
        return LibSeccomp.ACT_KILL_PROCESS;
    }
  }
}
