package io.stockade.e2e;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Removes a test's temporary tree. A jail left behind by a failed test may still have bind mounts
 * of host directories inside it; deleting through one would delete the host's files. So: unmount
 * what is mounted beneath, and if anything stays mounted, keep the tree and say so; the walk never
 * crosses into another filesystem either way.
 */
final class TempTree {
  private TempTree() {}

  /** Mount points at or beneath {@code root}, deepest first, from /proc/self/mountinfo. */
  static List<String> mountsBeneath(Path root) {
    List<String> mounts = new ArrayList<>();
    String prefix = root.toAbsolutePath().normalize().toString();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        String[] f = line.split(" ");
        if (f.length > 4) {
          String point = f[4].replace("\\040", " ");
          if (point.equals(prefix) || point.startsWith(prefix + "/")) {
            mounts.add(point);
          }
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/self/mountinfo: " + e.getMessage(), e);
    }
    mounts.sort(Comparator.comparingInt(String::length).reversed());
    return mounts;
  }

  static void removeUnlessMounted(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    for (String m : mountsBeneath(root)) {
      Shell.run("umount", "-l", m);
    }
    List<String> left = mountsBeneath(root);
    if (!left.isEmpty()) {
      System.err.println("stk-e2: keeping " + root + ": still mounted beneath it: " + left);
      return;
    }
    try {
      Object device = Files.getAttribute(root, "unix:dev");
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
          return device.equals(Files.getAttribute(dir, "unix:dev", java.nio.file.LinkOption.NOFOLLOW_LINKS))
              ? FileVisitResult.CONTINUE
              : FileVisitResult.SKIP_SUBTREE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) {
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) {
          try {
            Files.deleteIfExists(dir);
          } catch (IOException notEmpty) {
            // A skipped mount or a file we could not delete: leave it and tell below.
            System.err.println("stk-e2: could not remove " + dir + ": " + notEmpty.getMessage());
          }
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      System.err.println("stk-e2: could not remove " + root + ": " + e.getMessage());
    }
  }
}
