package io.stockade.policy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * /etc/passwd and /etc/group read as files (not through NSS: the supervisor does not link libc's
 * resolver, and policy should not change because an LDAP server is slow). Cached until either
 * file's size or modification time changes, so adding a user and reloading policy just works.
 */
final class EtcUserDatabase implements UserDatabase {
  private final Path passwd;
  private final Path group;
  private volatile Tables tables;

  EtcUserDatabase(Path root) {
    this.passwd = root.resolve("etc/passwd");
    this.group = root.resolve("etc/group");
  }

  @Override
  public OptionalInt uidOf(String userName) {
    Integer uid = tables().uidByName.get(userName);
    return uid == null ? OptionalInt.empty() : OptionalInt.of(uid);
  }

  @Override
  public OptionalInt gidOf(String groupName) {
    Integer gid = tables().gidByName.get(groupName);
    return gid == null ? OptionalInt.empty() : OptionalInt.of(gid);
  }

  @Override
  public Optional<String> userName(int uid) {
    return Optional.ofNullable(tables().userByUid.get(uid));
  }

  @Override
  public Optional<String> groupName(int gid) {
    return Optional.ofNullable(tables().groupByGid.get(gid));
  }

  @Override
  public Set<Integer> groupsOf(int uid) {
    Tables t = tables();
    Set<Integer> out = new HashSet<>();
    Integer primary = t.primaryGid.get(uid);
    if (primary != null) {
      out.add(primary);
    }
    String name = t.userByUid.get(uid);
    if (name != null) {
      out.addAll(t.gidsByMember.getOrDefault(name, Set.of()));
    }
    return Set.copyOf(out);
  }

  @Override
  public String toString() {
    return passwd + " and " + group;
  }

  private Tables tables() {
    String stamp = stamp(passwd) + "|" + stamp(group);
    Tables t = tables;
    if (t == null || !t.stamp.equals(stamp)) {
      t = new Tables(stamp, lines(passwd), lines(group));
      tables = t;
    }
    return t;
  }

  private static String stamp(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return a.lastModifiedTime() + "/" + a.size() + "/" + a.fileKey();
    } catch (NoSuchFileException e) {
      return "absent";
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** One consistent snapshot of both files; the first entry for a name or id wins, as in getpwnam. */
  private static final class Tables {
    final String stamp;
    final Map<String, Integer> uidByName = new HashMap<>();
    final Map<Integer, String> userByUid = new HashMap<>();
    final Map<Integer, Integer> primaryGid = new HashMap<>();
    final Map<String, Integer> gidByName = new HashMap<>();
    final Map<Integer, String> groupByGid = new HashMap<>();
    final Map<String, Set<Integer>> gidsByMember = new HashMap<>();

    Tables(String stamp, List<String> passwdLines, List<String> groupLines) {
      this.stamp = stamp;
      for (String line : passwdLines) {
        String[] f = line.split(":", -1);
        Integer uid = f.length >= 4 ? id(f[2]) : null;
        Integer gid = f.length >= 4 ? id(f[3]) : null;
        if (uid == null || gid == null || f[0].isEmpty() || f[0].startsWith("+") || f[0].startsWith("-")) {
          continue; // malformed or NIS compat lines name nobody
        }
        uidByName.putIfAbsent(f[0], uid);
        userByUid.putIfAbsent(uid, f[0]);
        primaryGid.putIfAbsent(uid, gid);
      }
      for (String line : groupLines) {
        String[] f = line.split(":", -1);
        Integer gid = f.length >= 4 ? id(f[2]) : null;
        if (gid == null || f[0].isEmpty() || f[0].startsWith("+") || f[0].startsWith("-")) {
          continue;
        }
        gidByName.putIfAbsent(f[0], gid);
        groupByGid.putIfAbsent(gid, f[0]);
        for (String member : f[3].split(",")) {
          if (!member.isBlank()) {
            gidsByMember.computeIfAbsent(member.trim(), k -> new HashSet<>()).add(gid);
          }
        }
      }
    }

    private static Integer id(String s) {
      if (s.isEmpty() || s.length() > 10 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return null;
      }
      long v = Long.parseLong(s);
      return v <= Integer.MAX_VALUE ? (int) v : null;
    }
  }
}
