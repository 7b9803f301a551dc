package io.stockade.supervisor.systemd;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * Adopts the listening socket systemd passes (sd_listen_fds(3)): LISTEN_PID must be this process
 * and LISTEN_FDS at least 1; the first socket is fd 3 (SD_LISTEN_FDS_START). junixsocket wraps an
 * inherited descriptor with {@link FileDescriptorCast}.
 */
public final class SocketActivation {
  static final int SD_LISTEN_FDS_START = 3;

  private SocketActivation() {}

  public static Optional<AFUNIXServerSocket> inherited() throws IOException {
    return inherited(System.getenv(), ProcessHandle.current().pid());
  }

  static Optional<AFUNIXServerSocket> inherited(Map<String, String> env, long pid) throws IOException {
    String listenPid = env.get("LISTEN_PID");
    String listenFds = env.get("LISTEN_FDS");
    if (listenPid == null || listenFds == null) {
      return Optional.empty();
    }
    try {
      if (Long.parseLong(listenPid.trim()) != pid || Integer.parseInt(listenFds.trim()) < 1) {
        return Optional.empty();
      }
    } catch (NumberFormatException e) {
      throw new IOException("LISTEN_PID='" + listenPid + "' / LISTEN_FDS='" + listenFds + "' are not numbers: check the socket unit");
    }
    try {
      return Optional.of(FileDescriptorCast.unsafeUsing(SD_LISTEN_FDS_START).as(AFUNIXServerSocket.class));
    } catch (IOException | ClassCastException e) {
      throw new IOException(
          "fd 3 passed by systemd is not a listening Unix stream socket (" + e.getMessage()
              + "): the socket unit needs ListenStream=/run/stockade/stockade.sock", e);
    }
  }
}
