package io.stockade.supervisor.testing;

import io.stockade.supervisor.net.EgressSpec;
import io.stockade.supervisor.net.NetworkManager;
import io.stockade.supervisor.net.SandboxNetwork;
import io.stockade.supervisor.net.TrafficCounters;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A fake network that builds nothing and records what the lifecycle asked for: for tests of what
 * reaches the network layer (the egress spec and its rate limits), not of the network itself
 * (that is the net module's tests, with real namespaces and packets). Sandboxes given this network
 * must not be started.
 */
public final class RecordingNetworkFake implements NetworkManager {
  /** The last spec attached or updated, by sandbox id. */
  public final Map<String, EgressSpec> specs = new ConcurrentHashMap<>();
  /** Ids that were attached as process sandboxes. */
  public final Set<String> processes = ConcurrentHashMap.newKeySet();

  @Override
  public SandboxNetwork attach(String sandboxId, int jailUid, int jailGid, EgressSpec egress) {
    specs.put(sandboxId, egress);
    return new SandboxNetwork(sandboxId, 1, Path.of("/nonexistent/fake-netns"), "tap-fake", "02:00:00:00:00:01",
        "10.255.0.2", 30, "10.255.0.1", List.of());
  }

  /** Process sandboxes attach here (the lifecycle picks by kind); recorded alike. */
  @Override
  public SandboxNetwork attachProcess(String sandboxId, int jailUid, int jailGid, EgressSpec egress) {
    processes.add(sandboxId);
    return attach(sandboxId, jailUid, jailGid, egress);
  }

  @Override
  public void updateEgress(String sandboxId, EgressSpec egress) {
    specs.put(sandboxId, egress);
  }

  @Override
  public void detach(String sandboxId) {
    specs.remove(sandboxId);
  }

  @Override
  public void reconcile(Set<String> liveIds) {}

  @Override
  public TrafficCounters counters(String sandboxId) {
    return TrafficCounters.UNKNOWN;
  }
}
