package io.stockade.supervisor.lifecycle;

import io.stockade.policy.Subject;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.VmmFeature;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Snapshot, list and restore, for callers: the same visibility rules as sandboxes (owners, root,
 * policy admins); a restore is admitted like a Create. Storage is {@link Snapshots}.
 */
public final class SnapshotOperations {
  private final Snapshots snapshots;
  private final Registry registry;
  private final Runner runner;
  private final Admission admission;
  private final Runner.Persister persister;
  private final Function<Sandbox, SandboxView> view;

  SnapshotOperations(Snapshots snapshots, Registry registry, Runner runner, Admission admission,
      Runner.Persister persister, Function<Sandbox, SandboxView> view) {
    this.snapshots = snapshots;
    this.registry = registry;
    this.runner = runner;
    this.admission = admission;
    this.persister = persister;
    this.view = view;
  }

  public Snapshots.View snapshot(Subject caller, String ref, String name) throws LifecycleException {
    Sandbox sb = registry.find(caller, ref);
    sb.require("snapshot", SandboxState.RUNNING, SandboxState.PAUSED);
    requireSupport(sb.spec().kind(), "snapshot");
    if (!sb.spec().dataDiskMiB().isEmpty()) {
      // A snapshot holds memory and the root overlay only; a restore without the data disks'
      // contents would hand the guest disks that disagree with its page cache.
      throw LifecycleException.unsupported("snapshot of " + sb.id + ": it has data disks, which "
          + "snapshots do not capture; copy their data out from the guest instead");
    }
    VmInstance vm = sb.instance().orElseThrow(() -> LifecycleException.invalidState(sb.id, sb.state(), "snapshot"));
    return snapshots.take(sb, name, dir -> {
      try {
        vm.snapshot(dir);
      } catch (VmmException e) {
        throw Lifecycle.vmmError(sb, "snapshot", e);
      }
    });
  }

  public List<Snapshots.View> list(Subject caller, String ref) throws LifecycleException {
    String sandboxId = ref == null ? null : registry.find(caller, ref).id;
    return snapshots.list(s -> registry.visible(caller, s.ownerUid()) && (sandboxId == null || s.sandboxId().equals(sandboxId)));
  }

  /** Every snapshot, for monitoring. */
  public List<Snapshots.View> all() {
    return snapshots.list(s -> true);
  }

  /** A new sandbox with the snapshot's spec, launched from the snapshot. */
  public SandboxView restore(Subject caller, String snapshotRef, String name) throws LifecycleException {
    Snapshots.Located snap =
        snapshots.find(snapshotRef, s -> registry.visible(caller, s.view().ownerUid()))
            .orElseThrow(() -> LifecycleException.notFound(snapshotRef));
    requireSupport(snap.spec().kind(), "restore");
    Sandbox sb = admission.admit(caller, snap.spec().withName(name == null ? "" : name), snap.view().id());
    persister.changed(sb, sb.transition(SandboxState.STARTING, "restoring snapshot " + snap.view().id(), "restore"));
    runner.launch(sb, Optional.of(snap.dir()));
    return view.apply(sb);
  }

  private void requireSupport(String kind, String op) throws LifecycleException {
    if (!runner.driver(kind).features().contains(VmmFeature.SNAPSHOT)) {
      throw LifecycleException.unsupported(op + " is not supported by " + kind + " sandboxes");
    }
  }
}
