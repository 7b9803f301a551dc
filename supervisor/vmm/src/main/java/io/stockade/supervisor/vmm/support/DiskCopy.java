package io.stockade.supervisor.vmm.support;

import io.stockade.supervisor.vmm.VmmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Copies disk images keeping holes (and sharing extents where the filesystem can reflink). */
public final class DiskCopy {
  private DiskCopy() {}

  public static void copy(Path from, Path to) throws VmmException {
    try {
      Process p = new ProcessBuilder("cp", "--sparse=always", "--reflink=auto", from.toString(), to.toString())
          .redirectErrorStream(true).start();
      if (!p.waitFor(10, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new VmmException("copy " + from + " -> " + to + ": still running after 10 minutes");
      }
      if (p.exitValue() != 0) {
        throw new VmmException("copy " + from + " -> " + to + ": "
            + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
      }
    } catch (IOException e) {
      throw new VmmException("copy " + from + " -> " + to + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VmmException("copy " + from + " -> " + to + ": interrupted", e);
    }
  }
}
