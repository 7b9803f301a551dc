package io.stockade.supervisor.vmm.process;

import io.stockade.supervisor.jail.JailSpec;
import io.stockade.supervisor.net.SandboxNetwork;
import io.stockade.supervisor.vmm.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * What a networked process needs in its jail's /etc to use the network the way a VM guest is told
 * to by its kernel command line: {@code resolv.conf} naming the sandbox's resolver (the only DNS
 * server its firewall lets it reach; none when none is configured), {@code hosts} for localhost,
 * and the host's public CA certificates so TLS clients can verify the servers they may reach.
 * The jail binds the host's /etc otherwise not at all, so nothing else of it is visible.
 */
final class NetworkFiles {
  private static final String CERTS = "/etc/ssl/certs";

  private NetworkFiles() {}

  /** Writes the files under {@code sandboxDir}/etc and returns the read-only mounts for them. */
  static List<JailSpec.Mount> write(Path sandboxDir, SandboxNetwork network) throws VmmException {
    Path etc = sandboxDir.resolve("etc");
    StringBuilder resolv = new StringBuilder("# written by Stockade for this sandbox\n");
    if (network.dns().isEmpty()) {
      resolv.append("# no resolver is configured for sandboxes: this one reaches addresses only\n");
    }
    network.dns().forEach(d -> resolv.append("nameserver ").append(d).append('\n'));
    List<JailSpec.Mount> mounts = new ArrayList<>();
    try {
      Files.createDirectories(etc);
      mounts.add(new JailSpec.Mount(file(etc.resolve("resolv.conf"), resolv.toString()), "/etc/resolv.conf", false));
      mounts.add(new JailSpec.Mount(file(etc.resolve("hosts"), "127.0.0.1\tlocalhost\n"), "/etc/hosts", false));
    } catch (IOException e) {
      throw new VmmException("launch " + network.sandboxId() + ": cannot write its network files in " + etc + ": " + e, e);
    }
    if (Files.isDirectory(Path.of(CERTS))) {
      mounts.add(new JailSpec.Mount(Path.of(CERTS), CERTS, false));
    }
    return mounts;
  }

  /** World-readable: the jail's uid reads them through the bind mount. */
  private static Path file(Path p, String text) throws IOException {
    Files.writeString(p, text);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
    return p;
  }
}
