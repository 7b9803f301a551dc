package io.stockade.supervisor.vmm.support;

import io.stockade.supervisor.jail.JailedProcess;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmKind;
import java.util.concurrent.CompletableFuture;

/**
 * What every VM instance shares: the jailed VMM process and the launch's {@link VmSetup}. The
 * VMM-specific parts (control channel, shutdown, pause, snapshot, socket paths in the persistent
 * state) stay in each driver's instance class. Public only so that the driver packages can extend it.
 */
public abstract class JailedVm implements VmInstance {
  private final VmmKind kind;
  protected final JailedProcess process;
  protected final VmSetup setup;

  protected JailedVm(VmmKind kind, JailedProcess process, VmSetup setup) {
    this.kind = kind;
    this.process = process;
    this.setup = setup;
  }

  @Override
  public final String sandboxId() {
    return setup.sandboxId();
  }

  @Override
  public final VmmKind kind() {
    return kind;
  }

  @Override
  public final JailedProcess process() {
    return process;
  }

  @Override
  public final CompletableFuture<Integer> onExit() {
    return process.onExit();
  }

  /**
   * Exit status 0: Firecracker and cloud-hypervisor exit 0 exactly when the guest shut itself down
   * (power-off or reboot); a signal or an error exits otherwise. QEMU overrides this with its
   * SHUTDOWN event.
   */
  @Override
  public boolean guestRequestedShutdown() {
    Integer status = process.onExit().getNow(null);
    return status != null && status == 0;
  }
}
