package io.stockade.supervisor.vmm.firecracker;

import java.time.Duration;
import java.util.Objects;

/**
 * @param controlTimeout how long one API call may take
 * @param overheadMiB memory allowed to Firecracker itself on top of guest RAM (cgroup limit)
 * @param guestCid the guest's vsock context id (each VM has its own vsock device, so one CID
 *     value serves every sandbox)
 */
public record FirecrackerOptions(Duration controlTimeout, long overheadMiB, int guestCid) {
  public FirecrackerOptions {
    Objects.requireNonNull(controlTimeout, "controlTimeout");
    if (guestCid < 3) {
      throw new IllegalArgumentException("vsock guest CID must be >= 3, got " + guestCid);
    }
  }

  public static FirecrackerOptions defaults() {
    return new FirecrackerOptions(Duration.ofSeconds(10), 128, 3);
  }
}
