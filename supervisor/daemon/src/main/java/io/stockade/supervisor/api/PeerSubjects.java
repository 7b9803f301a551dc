package io.stockade.supervisor.api;

import io.stockade.policy.Subject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a connection's peer credentials (uid, gid, pid as the kernel reported them with
 * SO_PEERCRED) into a {@link Subject}: supplementary groups from /proc/PID/status, names from
 * /etc/passwd and /etc/group (read as files, re-read when they change). Names are informational;
 * every decision uses the ids.
 */
public final class PeerSubjects {
  private final Path root;
  private volatile Table users = Table.EMPTY;
  private volatile Table groups = Table.EMPTY;

  private PeerSubjects(Path root) {
    this.root = root;
  }

  public static PeerSubjects system() {
    return new PeerSubjects(Path.of("/"));
  }

  /** Reads proc/, etc/passwd and etc/group under {@code root}: for tests. */
  static PeerSubjects under(Path root) {
    return new PeerSubjects(root);
  }

  public Subject subject(int uid, int gid, long pid) {
    Set<Integer> gids = new HashSet<>();
    gids.add(gid);
    gids.addAll(supplementaryGroups(pid));
    Table u = users();
    Table g = groups();
    Set<String> groupNames = new HashSet<>();
    for (int id : gids) {
      String n = g.names.get(id);
      if (n != null) {
        groupNames.add(n);
      }
    }
    return new Subject(uid, gid, gids, u.names.getOrDefault(uid, ""), groupNames);
  }

  /** The Groups: line of /proc/PID/status; empty when the process is already gone. */
  Set<Integer> supplementaryGroups(long pid) {
    Set<Integer> out = new HashSet<>();
    if (pid <= 0) {
      return out;
    }
    try {
      for (String line : Files.readAllLines(root.resolve("proc/" + pid + "/status"), StandardCharsets.UTF_8)) {
        if (line.startsWith("Groups:")) {
          for (String tok : line.substring(7).trim().split("\\s+")) {
            if (!tok.isEmpty()) {
              out.add(Integer.parseInt(tok));
            }
          }
        }
      }
    } catch (IOException | NumberFormatException e) {
      // The peer exited between connect and now: it has only its primary group then.
    }
    return out;
  }

  /** The gid of a group name, or -1. */
  public int gidOf(String name) {
    for (Map.Entry<Integer, String> e : groups().names.entrySet()) {
      if (e.getValue().equals(name)) {
        return e.getKey();
      }
    }
    return -1;
  }

  private Table users() {
    Table t = users;
    Path f = root.resolve("etc/passwd");
    if (!t.fresh(f)) {
      t = Table.read(f);
      users = t;
    }
    return t;
  }

  private Table groups() {
    Table t = groups;
    Path f = root.resolve("etc/group");
    if (!t.fresh(f)) {
      t = Table.read(f);
      groups = t;
    }
    return t;
  }

  /** id -> name from a colon-separated database file (name:x:id:...). */
  private record Table(long stamp, Map<Integer, String> names) {
    static final Table EMPTY = new Table(-1, Map.of());

    boolean fresh(Path f) {
      return stamp == stampOf(f);
    }

    static long stampOf(Path f) {
      java.io.File file = f.toFile();
      return file.lastModified() * 31 + file.length();
    }

    static Table read(Path f) {
      Map<Integer, String> m = new HashMap<>();
      long stamp = stampOf(f);
      try {
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        for (String line : lines) {
          String[] p = line.split(":", -1);
          if (p.length >= 3 && !line.startsWith("#")) {
            try {
              m.putIfAbsent(Integer.parseInt(p[2]), p[0]);
            } catch (NumberFormatException e) {
              // a malformed line names nobody
            }
          }
        }
      } catch (IOException e) {
        // no database: callers have ids only
      }
      return new Table(stamp, Map.copyOf(m));
    }
  }
}
