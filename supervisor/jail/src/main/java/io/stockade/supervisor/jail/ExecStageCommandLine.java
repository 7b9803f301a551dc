package io.stockade.supervisor.jail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The exec stage's command line, built from typed values (the contract is at the top of
 * stockade-exec.c). The Java side never makes a confinement syscall itself; it only says what
 * the stage must do, and tests assert the exact list.
 */
final class ExecStageCommandLine {
  /** Resource limits the stage sets with setrlimit(2). */
  enum Rlimit {
    NOFILE("nofile"),
    FSIZE("fsize"),
    CORE("core"),
    NPROC("nproc");

    final String flag;

    Rlimit(String flag) {
      this.flag = flag;
    }
  }

  enum Access {
    READ_ONLY,
    READ_WRITE
  }

  /** A device node made in the jail's /dev. */
  record Device(String jailName, char type, int major, int minor, int mode, int uid, int gid) {
    String flag() {
      return jailName + ":" + type + ":" + major + ":" + minor + ":" + Integer.toOctalString(mode) + ":" + uid + ":" + gid;
    }
  }

  private ExecStageCommandLine() {}

  static Builder builder(Path stage) {
    return new Builder(stage);
  }

  static final class Builder {
    private final Path stage;
    private final List<Path> cgroups = new ArrayList<>();
    private Path cgroupFork;
    private Optional<Path> netns = Optional.empty();
    private Path root;
    private Path jailDir;
    private long consoleMax;
    private String hostname;
    private final List<String> binds = new ArrayList<>();
    private final List<Device> devices = new ArrayList<>();
    private long tmpfsSize;
    private final List<String> rlimits = new ArrayList<>();
    private int uid = -1;
    private int gid = -1;
    private boolean userns;
    private Path seccomp;
    private String cwd;
    private final List<String> env = new ArrayList<>();
    private String executable;
    private List<String> argv;

    private Builder(Path stage) {
      this.stage = Objects.requireNonNull(stage);
    }

    Builder cgroup(Path dir) {
      cgroups.add(dir);
      return this;
    }

    /** The v2 cgroup the workload is created in (clone3 CLONE_INTO_CGROUP: no migration). */
    Builder cgroupFork(Path dir) {
      cgroupFork = dir;
      return this;
    }

    Builder netns(Optional<Path> path) {
      netns = path;
      return this;
    }

    Builder root(Path dir) {
      root = dir;
      return this;
    }

    Builder jailDir(Path dir) {
      jailDir = dir;
      return this;
    }

    Builder consoleMax(long bytes) {
      consoleMax = bytes;
      return this;
    }

    Builder hostname(String name) {
      hostname = name;
      return this;
    }

    Builder bind(Path host, String jailPath, Access access) {
      binds.add(access == Access.READ_WRITE ? "--bind-rw" : "--bind");
      binds.add(host.toString());
      binds.add(jailPath);
      return this;
    }

    Builder device(Device d) {
      devices.add(d);
      return this;
    }

    Builder tmpfsSize(long bytes) {
      tmpfsSize = bytes;
      return this;
    }

    /** {@code value} < 0 means unlimited. */
    Builder rlimit(Rlimit which, long value) {
      rlimits.add(which.flag + "=" + (value < 0 ? "inf" : Long.toString(value)));
      return this;
    }

    Builder ids(int uid, int gid) {
      this.uid = uid;
      this.gid = gid;
      return this;
    }

    Builder userNamespace(boolean on) {
      userns = on;
      return this;
    }

    Builder seccomp(Path bpf) {
      seccomp = bpf;
      return this;
    }

    Builder cwd(String dir) {
      cwd = dir;
      return this;
    }

    Builder env(Map<String, String> vars) {
      vars.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> env.add(e.getKey() + "=" + e.getValue()));
      return this;
    }

    Builder exec(String jailExecutable, List<String> args) {
      executable = jailExecutable;
      argv = List.copyOf(args);
      return this;
    }

    List<String> build() {
      if (root == null || jailDir == null || executable == null) {
        throw new IllegalStateException("root, jailDir and exec are required");
      }
      if (uid <= 0 || gid <= 0) {
        throw new IllegalStateException("a workload never runs as root: ids " + uid + "/" + gid);
      }
      if (argv.isEmpty()) {
        throw new IllegalStateException("argv needs at least argv[0]");
      }
      List<String> a = new ArrayList<>();
      a.add(stage.toString());
      for (Path c : cgroups) {
        a.add("--cgroup");
        a.add(c.toString());
      }
      if (cgroupFork != null) {
        a.add("--cgroup-fork");
        a.add(cgroupFork.toString());
      }
      netns.ifPresent(n -> {
        a.add("--netns");
        a.add(n.toString());
      });
      a.add("--root");
      a.add(root.toString());
      a.add("--jail-dir");
      a.add(jailDir.toString());
      if (consoleMax > 0) {
        a.add("--console-max");
        a.add(Long.toString(consoleMax));
      }
      if (hostname != null) {
        a.add("--hostname");
        a.add(hostname);
      }
      a.addAll(binds);
      for (Device d : devices) {
        a.add("--device");
        a.add(d.flag());
      }
      if (tmpfsSize > 0) {
        a.add("--tmpfs-size");
        a.add(Long.toString(tmpfsSize));
      }
      for (String r : rlimits) {
        a.add("--rlimit");
        a.add(r);
      }
      a.add("--uid");
      a.add(Integer.toString(uid));
      a.add("--gid");
      a.add(Integer.toString(gid));
      if (userns) {
        a.add("--userns");
      }
      if (seccomp != null) {
        a.add("--seccomp");
        a.add(seccomp.toString());
      }
      if (cwd != null) {
        a.add("--cwd");
        a.add(cwd);
      }
      for (String e : env) {
        a.add("--env");
        a.add(e);
      }
      a.add("--");
      a.add(executable);
      a.addAll(argv);
      return List.copyOf(a);
    }
  }
}
