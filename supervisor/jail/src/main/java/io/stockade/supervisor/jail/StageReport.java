package io.stockade.supervisor.jail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What the exec stage said on its status pipe: "child PID" once the workload exists, at most one
 * "fail STEP ERRNO DETAIL", then EOF (which, without a fail line, means execve succeeded).
 */
record StageReport(long childPid, String failedStep, int errno, String detail) {

  private static final Map<Integer, String> NAMES = Map.ofEntries(
      Map.entry(1, "EPERM"), Map.entry(2, "ENOENT"), Map.entry(5, "EIO"), Map.entry(7, "E2BIG"),
      Map.entry(8, "ENOEXEC"), Map.entry(12, "ENOMEM"), Map.entry(13, "EACCES"), Map.entry(16, "EBUSY"),
      Map.entry(17, "EEXIST"), Map.entry(20, "ENOTDIR"), Map.entry(21, "EISDIR"), Map.entry(22, "EINVAL"),
      Map.entry(11, "EAGAIN"), Map.entry(28, "ENOSPC"), Map.entry(30, "EROFS"), Map.entry(38, "ENOSYS"));

  private static final Map<String, String> REMEDIES = Map.ofEntries(
      Map.entry("join_cgroup", "the sandbox's cgroup must exist and the supervisor must own its cgroup subtree"),
      Map.entry("setns_net", "the network namespace must exist (ip netns add) before the sandbox starts"),
      Map.entry("bind_mount", "the host path must exist and the mount point in the jail root must match its type"),
      Map.entry("mknod", "the supervisor must run as root in the initial user namespace to create device nodes"),
      Map.entry("pivot_root", "the jail directory must be on a file system that supports bind mounts"),
      Map.entry("execve", "the executable and its interpreter/libraries must be visible in the jail (SystemMounts)"),
      Map.entry("seccomp", "the compiled filter was rejected by the kernel: check CONFIG_SECCOMP_FILTER"),
      Map.entry("unshare", "the kernel must allow mount, pid, ipc and uts namespaces"),
      Map.entry("unshare_user", "user namespaces must be enabled (user.max_user_namespaces > 0)"));

  boolean failed() {
    return failedStep != null;
  }

  static String errnoName(int errno) {
    return NAMES.getOrDefault(errno, "errno " + errno);
  }

  static StageReport read(InputStream status) throws IOException {
    long child = 0;
    BufferedReader r = new BufferedReader(new InputStreamReader(status, StandardCharsets.UTF_8));
    for (String line; (line = r.readLine()) != null; ) {
      if (line.startsWith("child ")) {
        child = Long.parseLong(line.substring(6).trim());
      } else if (line.startsWith("fail ")) {
        String[] f = line.split(" ", 4);
        int errno = f.length > 2 ? parseInt(f[2]) : 0;
        return new StageReport(child, f.length > 1 ? f[1] : "unknown", errno, f.length > 3 ? f[3] : "");
      }
    }
    return new StageReport(child, null, 0, "");
  }

  private static int parseInt(String s) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  JailException toException(String sandboxId) {
    String remedy = REMEDIES.get(failedStep);
    return new JailException(failedStep, errno, "sandbox " + sandboxId + ": exec stage failed at " + failedStep + " "
        + detail + ": " + errnoName(errno) + (remedy == null ? "" : ": " + remedy));
  }
}
