package io.stockade.supervisor.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stockade.policy.Authorizer;
import io.stockade.policy.EgressRule;
import io.stockade.policy.Grant;
import io.stockade.policy.PolicyDeniedException;
import io.stockade.policy.Subject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A small policy for the daemon's tests until the policy module's loader is merged: grants by
 * uid, read from {"UID": {"maxSandboxes": N, "commands": [...]}} (all process kind).
 */
public final class TestPolicy implements Authorizer {
  private final Map<Integer, Grant> grants;

  public TestPolicy(Map<Integer, Grant> grants) {
    this.grants = Map.copyOf(grants);
  }

  public static Grant processGrant(int maxSandboxes, String... commands) {
    return new Grant(Set.of("process"), Set.of(), maxSandboxes, 4, 4096, 64, 65536, List.of(), List.of(), List.of(commands));
  }

  public static TestPolicy load(Path file) throws IOException {
    JsonNode root = new ObjectMapper().readTree(file.toFile());
    if (root == null || !root.isObject()) {
      throw new IOException("test policy " + file + " is not a JSON object");
    }
    Map<Integer, Grant> g = new HashMap<>();
    for (var it = root.fields(); it.hasNext(); ) {
      var e = it.next();
      String[] cmds = new ObjectMapper().convertValue(e.getValue().path("commands"), String[].class);
      g.put(Integer.parseInt(e.getKey()), processGrant(e.getValue().path("maxSandboxes").asInt(1), cmds == null ? new String[0] : cmds));
    }
    return new TestPolicy(g);
  }

  @Override
  public Optional<Grant> grantFor(Subject subject) {
    return Optional.ofNullable(grants.get(subject.uid()));
  }

  @Override
  public void checkCreate(Subject s, CreateIntent intent, Usage current) throws PolicyDeniedException {
    if (s.isRoot()) {
      return;
    }
    Grant g = grants.get(s.uid());
    if (g == null) {
      throw new PolicyDeniedException("uid " + s.uid() + " has no grant");
    }
    if (!g.kinds().contains(intent.kind())) {
      throw new PolicyDeniedException("kind " + intent.kind() + " is not granted");
    }
    if (intent.kind().equals("process") && (intent.command().isEmpty() || !g.commands().contains(intent.command().get(0)))) {
      throw new PolicyDeniedException("command " + intent.command() + " is not granted (allowed: " + g.commands() + ")");
    }
    for (EgressRule r : intent.egress()) {
      if (!g.egress().contains(r)) {
        throw new PolicyDeniedException("egress " + r + " is not granted");
      }
    }
    if (intent.vcpus() > g.maxVcpusPerSandbox()) {
      throw new PolicyDeniedException("vcpus " + intent.vcpus() + " > " + g.maxVcpusPerSandbox());
    }
    if (current.sandboxes() + 1 > g.maxSandboxes()) {
      throw new io.stockade.policy.QuotaExceededException("sandbox quota " + g.maxSandboxes() + " reached (" + current.sandboxes() + " held)");
    }
  }
}
