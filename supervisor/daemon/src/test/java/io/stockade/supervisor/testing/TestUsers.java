package io.stockade.supervisor.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Throwaway system users in one throwaway group, named stk-dm-RANDOM; {@link #close()} removes
 * them all (call it from @AfterAll, it is safe after a partial set-up).
 */
public final class TestUsers implements AutoCloseable {
  public record User(String name, int uid, int gid) {}

  public final String group;
  public final int gid;
  private final List<User> users = new ArrayList<>();

  private TestUsers(String group, int gid) {
    this.group = group;
    this.gid = gid;
  }

  public static boolean available() {
    return "root".equals(System.getProperty("user.name")) && new java.io.File("/usr/sbin/useradd").canExecute()
        && new java.io.File("/usr/bin/setpriv").canExecute();
  }

  public static String random() {
    return Long.toString(ThreadLocalRandom.current().nextLong(1L << 30, 1L << 35), 36);
  }

  public static TestUsers create() throws IOException {
    String g = "stk-dm-" + random();
    run("groupadd", "-r", g);
    return new TestUsers(g, Integer.parseInt(run("getent", "group", g).split(":")[2]));
  }

  public User add() throws IOException {
    String n = "stk-dm-" + random();
    run("useradd", "-r", "-M", "-s", "/usr/sbin/nologin", "-g", group, n);
    User u = new User(n, Integer.parseInt(run("id", "-u", n).trim()), gid);
    users.add(u);
    return u;
  }

  @Override
  public void close() {
    for (User u : users) {
      try {
        run("userdel", u.name());
      } catch (IOException e) {
        System.err.println("could not remove test user " + u.name() + ": " + e.getMessage());
      }
    }
    try {
      run("groupdel", group);
    } catch (IOException e) {
      System.err.println("could not remove test group " + group + ": " + e.getMessage());
    }
  }

  public static String run(String... cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(String.join(" ", cmd) + " failed: " + out);
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
