package io.stockade.supervisor.testing;

import io.stockade.supervisor.net.EgressSpec;
import io.stockade.supervisor.net.NetworkException;
import io.stockade.supervisor.net.NetworkManager;
import io.stockade.supervisor.net.SandboxNetwork;
import io.stockade.supervisor.net.TrafficCounters;
import java.util.Set;

/** Process-kind tests ask for no network; this refuses attach and accepts detach/reconcile. */
public final class NoNetworkForTests implements NetworkManager {
  public volatile Set<String> lastReconcile;

  @Override
  public SandboxNetwork attach(String sandboxId, int jailUid, int jailGid, EgressSpec egress) throws NetworkException {
    throw new NetworkException("attach", "no network in this test");
  }

  @Override
  public void updateEgress(String sandboxId, EgressSpec egress) throws NetworkException {
    throw new NetworkException("update", "no network in this test");
  }

  @Override
  public void detach(String sandboxId) {}

  @Override
  public void reconcile(Set<String> liveIds) {
    lastReconcile = Set.copyOf(liveIds);
  }

  @Override
  public TrafficCounters counters(String sandboxId) {
    return TrafficCounters.UNKNOWN;
  }
}
