package io.stockade.supervisor.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the API socket at a path: refuses to steal a live one, sets its mode and group. */
public final class ApiSockets {
  private static final Logger LOG = LoggerFactory.getLogger(ApiSockets.class);

  private ApiSockets() {}

  /** The socket could not be created; the message says where and what to do. */
  public static final class SocketBindFailed extends IOException {
    SocketBindFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public static AFUNIXServerSocket bind(Path path, String mode, String group) throws IOException {
    Path parent = path.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      if (!Files.isDirectory(path) && isListening(path)) {
        throw new SocketBindFailed(
            "socket " + path + " is in use by a running supervisor: stop it first, or set socketPath", null);
      }
      Files.delete(path); // a stale socket of a supervisor that crashed
    }
    AFUNIXServerSocket s = AFUNIXServerSocket.newInstance();
    try {
      s.bind(AFUNIXSocketAddress.of(path), 128);
    } catch (IOException e) {
      s.close();
      throw new SocketBindFailed("cannot bind " + path + ": " + e.getMessage() + " (is " + parent + " writable?)", e);
    }
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions(mode)));
    if (group != null && !group.isEmpty()) {
      try {
        GroupPrincipal g = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
        Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(g);
      } catch (UserPrincipalNotFoundException e) {
        LOG.info("group '{}' does not exist: {} stays group root (only root can connect unless socketMode allows others)", group, path);
      }
    }
    return s;
  }

  private static boolean isListening(Path path) {
    try (AFUNIXSocket c = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(path))) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** "0660" -> "rw-rw----". */
  static String permissions(String octal) {
    int m = Integer.parseInt(octal, 8);
    String rwx = "rwxrwxrwx";
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 9; i++) {
      sb.append((m & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
    }
    return sb.toString();
  }
}
