package io.stockade.supervisor.lifecycle;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON file per sandbox, replaced atomically: write a temp file in the same directory, fsync
 * it, rename it over the old one, fsync the directory (rename(2) is atomic, but only the directory
 * fsync makes the new name durable; see ext4's auto_da_alloc notes). A crash leaves either the old
 * or the new file, never a torn one.
 */
public final class StateStore {
  private static final Logger LOG = LoggerFactory.getLogger(StateStore.class);

  private final Path dir;
  private final ObjectMapper json =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** A state file that could not be read; it is left in place for the operator. */
  public record Unreadable(Path file, String error) {}

  public record Loaded(List<PersistedSandbox> sandboxes, List<Unreadable> unreadable) {}

  public StateStore(Path stateDir) throws IOException {
    this.dir = stateDir.resolve("sandboxes");
    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  public Path directory() {
    return dir;
  }

  Path fileOf(String id) {
    return dir.resolve(id + ".json");
  }

  public synchronized void save(PersistedSandbox s) throws IOException {
    byte[] bytes = json.writeValueAsBytes(s);
    Path tmp = dir.resolve("." + s.id() + ".json.tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    try {
      Files.move(tmp, fileOf(s.id()), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("state dir " + dir + " does not support atomic rename: put it on a local filesystem", e);
    }
    syncDir();
  }

  public synchronized void delete(String id) throws IOException {
    Files.deleteIfExists(fileOf(id));
    syncDir();
  }

  /** Every readable state file; unreadable ones are reported, not deleted. */
  public Loaded loadAll() throws IOException {
    List<PersistedSandbox> out = new ArrayList<>();
    List<Unreadable> bad = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
      for (Path f : files) {
        try {
          PersistedSandbox s = json.readValue(f.toFile(), PersistedSandbox.class);
          if (s.version() != PersistedSandbox.VERSION) {
            bad.add(new Unreadable(f, "state format version " + s.version() + ", this supervisor reads " + PersistedSandbox.VERSION));
          } else if (!f.getFileName().toString().equals(s.id() + ".json")) {
            bad.add(new Unreadable(f, "file name does not match its id '" + s.id() + "'"));
          } else {
            out.add(s);
          }
        } catch (IOException e) {
          bad.add(new Unreadable(f, e.getMessage()));
        }
      }
    }
    for (Unreadable u : bad) {
      LOG.error("state file {} is unreadable and was skipped: {} (fix or remove it, then restart)", u.file(), u.error());
    }
    return new Loaded(out, bad);
  }

  private void syncDir() throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }
}
