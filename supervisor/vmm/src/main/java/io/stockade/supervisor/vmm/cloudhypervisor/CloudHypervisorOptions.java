package io.stockade.supervisor.vmm.cloudhypervisor;

import java.time.Duration;
import java.util.Objects;

/**
 * @param controlTimeout how long one API call may take
 * @param overheadMiB memory allowed to cloud-hypervisor itself on top of guest RAM (cgroup limit)
 * @param guestCid the guest's vsock context id (each VM has its own vsock device, so one CID
 *     value serves every sandbox)
 */
public record CloudHypervisorOptions(Duration controlTimeout, long overheadMiB, int guestCid) {
  public CloudHypervisorOptions {
    Objects.requireNonNull(controlTimeout, "controlTimeout");
    if (guestCid < 3) {
      throw new IllegalArgumentException("vsock guest CID must be >= 3, got " + guestCid);
    }
  }

  public static CloudHypervisorOptions defaults() {
    return new CloudHypervisorOptions(Duration.ofSeconds(10), 128, 3);
  }
}
