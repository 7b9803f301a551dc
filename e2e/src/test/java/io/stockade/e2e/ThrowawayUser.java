package io.stockade.e2e;

import java.util.concurrent.ThreadLocalRandom;

/**
 * A system user made for one test class ({@code useradd -r stk-e2-<random>}), removed on close. It
 * is the unprivileged client: the CLI runs as its uid, so the daemon's peer credentials see it.
 */
final class ThrowawayUser implements AutoCloseable {
  final String name;
  final int uid;
  final int gid;

  private ThrowawayUser(String name, int uid, int gid) {
    this.name = name;
    this.uid = uid;
    this.gid = gid;
  }

  static ThrowawayUser create() {
    String name = "stk-e2-" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 24, 1 << 28), 36);
    Shell.runOk("useradd", "--system", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", name);
    try {
      int uid = Integer.parseInt(Shell.runOk("id", "-u", name).out().strip());
      int gid = Integer.parseInt(Shell.runOk("id", "-g", name).out().strip());
      return new ThrowawayUser(name, uid, gid);
    } catch (RuntimeException e) {
      Shell.run("userdel", name);
      throw e;
    }
  }

  @Override
  public void close() {
    // --user-group made a group of the same name; userdel removes it with the user.
    // A JVM run as the user may have left its perf-data directory (Cli turns it off; belt and braces).
    Shell.run("rm", "-rf", "--", "/tmp/hsperfdata_" + name);
    Shell.Result r = Shell.run("userdel", name);
    if (!r.ok() && Shell.run("id", "-u", name).ok()) {
      throw new IllegalStateException("could not remove test user: " + r.describe());
    }
  }

  @Override
  public String toString() {
    return name + "(" + uid + ")";
  }
}
