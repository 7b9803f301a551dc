package io.stockade.supervisor.jail;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A sandbox's directory on the host:
 *
 * <pre>
 * &lt;jails&gt;/&lt;id&gt;/            root 0700: only the supervisor and the exec stage look here
 *   root/                  the workload's "/" (read-only once pivoted), mount points inside
 *     proc dev tmp         mount points for the stage's proc, /dev tmpfs and /tmp tmpfs
 *     run/                 the sandbox uid's 0700, writable: API sockets
 *   seccomp.bpf            the compiled filter the stage loads
 *   jail.json              uid/gid, for reattach after a restart
 *   console.log(.1)        the workload's stdout+stderr (written by the stage)
 *   exit-status            the workload's status, written by the stage when it exits
 * </pre>
 */
record JailDirectory(Path dir) {

  Path root() {
    return dir.resolve("root");
  }

  Path console() {
    return dir.resolve("console.log");
  }

  Path seccomp() {
    return dir.resolve("seccomp.bpf");
  }

  Path state() {
    return dir.resolve("jail.json");
  }

  Path exitStatus() {
    return dir.resolve("exit-status");
  }

  static JailDirectory create(Path jailsDir, JailPlan plan, int uid, int gid) throws JailException {
    JailDirectory jd = new JailDirectory(jailsDir.resolve(plan.spec().sandboxId()));
    Path step = jd.dir;
    try {
      Files.createDirectories(jailsDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Files.createDirectory(jd.dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Files.createDirectory(step = jd.root());
      Files.setPosixFilePermissions(jd.root(), PosixFilePermissions.fromString("rwxr-xr-x"));
      for (String d : List.of("proc", "dev", "tmp")) {
        Files.createDirectory(step = jd.root().resolve(d));
      }
      Path run = step = jd.root().resolve("run");
      Files.createDirectory(run);
      Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwx------"));
      Files.setAttribute(run, "unix:uid", uid);
      Files.setAttribute(run, "unix:gid", gid);
      for (JailPlan.PlannedMount m : plan.mounts()) {
        step = jd.root().resolve(m.jailPath().substring(1));
        if (!Files.exists(step)) { // may already exist inside a parent mount's source (checked by the plan)
          if (m.directory()) {
            Files.createDirectories(step);
          } else {
            Files.createDirectories(step.getParent());
            Files.createFile(step);
          }
        }
      }
    } catch (IOException e) {
      throw new JailException("jail_dir", Errno.of(e), "create " + step + ": " + e.getMessage()
          + (Errno.of(e) == Errno.EEXIST ? ": a jail with this id exists; call cleanup first" : ""));
    }
    return jd;
  }

  /**
   * Deletes the directory tree without following symlinks or crossing into another file system:
   * if a mount ever showed through (it should not: mounts live in the sandbox's private mount
   * namespace), deletion stops there instead of emptying a host directory.
   */
  void delete() throws JailException {
    // The exec stage's outer process writes exit-status just after the workload dies, which
    // can race with this deletion: try again briefly.
    for (int attempt = 0; ; attempt++) {
      try {
        deleteOnce();
        return;
      } catch (JailException e) {
        if (attempt == 5) {
          throw e;
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private void deleteOnce() throws JailException {
    if (!Files.exists(dir)) {
      return;
    }
    try {
      Object dev = Files.getAttribute(dir, "unix:dev");
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
          if (!dev.equals(Files.getAttribute(d, "unix:dev"))) {
            throw new IOException(d + " is on another file system (a mount?)");
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
          Files.delete(f);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          if (e != null) {
            throw e;
          }
          Files.delete(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new JailException("jail_dir_remove", Errno.of(e), "remove " + dir + ": " + e.getMessage()
          + ": check for mounts below it (findmnt -R " + dir + ") and remove them first");
    }
  }

}
