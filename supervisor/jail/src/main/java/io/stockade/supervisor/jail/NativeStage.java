package io.stockade.supervisor.jail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * Extracts the native programs shipped in the jar (stockade-exec, stockade-probe) into a
 * root-owned 0700 directory. The directory must not be writable by anyone else: the supervisor
 * runs what it finds there as root.
 */
final class NativeStage {
  static final String EXEC = "stockade-exec";
  static final String PROBE = "stockade-probe";

  private NativeStage() {}

  static synchronized Path extract(Path dir, String name) throws JailException {
    Path target = dir.resolve(name);
    try {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Map<String, Object> a = Files.readAttributes(dir, "unix:uid,mode");
      if ((Integer) a.get("uid") != 0 || ((Integer) a.get("mode") & 0077) != 0) {
        throw new JailException("native_dir", Errno.EPERM, dir + " must be owned by root with mode 0700 (it holds "
            + "programs the supervisor runs as root): chown root " + dir + " && chmod 0700 " + dir);
      }
      try (InputStream in = NativeStage.class.getResourceAsStream("native/" + name)) {
        if (in == null) {
          throw new JailException("native_missing", Errno.ENOENT, name + " is not in the jar: build with the C compiler (gcc) installed");
        }
        byte[] bytes = in.readAllBytes();
        if (Files.exists(target) && java.util.Arrays.equals(bytes, Files.readAllBytes(target))) {
          return target;
        }
        Path tmp = Files.createTempFile(dir, name, ".tmp");
        Files.write(tmp, bytes);
        // 0755: the probe runs as a sandbox uid; the 0700 directory already keeps others out.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
      return target;
    } catch (IOException e) {
      throw new JailException("native_extract", Errno.of(e), "extract " + name + " to " + target + ": " + e.getMessage());
    }
  }
}
