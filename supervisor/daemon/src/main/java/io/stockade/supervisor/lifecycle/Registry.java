package io.stockade.supervisor.lifecycle;

import io.stockade.policy.Authorizer;
import io.stockade.policy.Subject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The sandboxes that exist (any state but destroyed), who may see which, what each owner holds,
 * and the daemon's own workload uid allocation (used when no jail leases uids).
 */
final class Registry {
  final Map<String, Sandbox> sandboxes = new ConcurrentHashMap<>();
  private final Map<Integer, Object> ownerLocks = new ConcurrentHashMap<>();
  private final Map<String, Integer> uids = new ConcurrentHashMap<>();
  private final Supplier<Authorizer> policy;
  private final LifecycleSettings settings;

  Registry(Supplier<Authorizer> policy, LifecycleSettings settings) {
    this.policy = policy;
    this.settings = settings;
  }

  /** Held while one owner's usage is checked and a new sandbox registered, so quotas hold. */
  Object ownerLock(int uid) {
    return ownerLocks.computeIfAbsent(uid, k -> new Object());
  }

  /** Owners see their own sandboxes; root and policy admins see every one. */
  boolean visible(Subject caller, int ownerUid) {
    return caller.uid() == ownerUid || caller.isRoot() || policy.get().isAdmin(caller);
  }

  /** By id, else by the caller's own name for it; NotFound for what the caller may not see. */
  Sandbox find(Subject caller, String ref) throws LifecycleException {
    if (ref == null || ref.isEmpty()) {
      throw LifecycleException.invalidParameter("id", "a sandbox id or name is required");
    }
    Sandbox sb = sandboxes.get(ref);
    if (sb != null && visible(caller, sb.owner.uid())) {
      return sb;
    }
    Optional<Sandbox> byName = findByName(caller.uid(), ref);
    if (byName.isEmpty() && (caller.isRoot() || policy.get().isAdmin(caller))) {
      List<Sandbox> named = sandboxes.values().stream().filter(s -> s.spec().name().equals(ref)).toList();
      byName = named.size() == 1 ? Optional.of(named.get(0)) : Optional.empty();
    }
    return byName.orElseThrow(() -> LifecycleException.notFound(ref));
  }

  Optional<Sandbox> findByName(int uid, String name) {
    return sandboxes.values().stream()
        .filter(s -> s.owner.uid() == uid && s.spec().name().equals(name))
        .findFirst();
  }

  List<Sandbox> visibleTo(Subject caller) {
    List<Sandbox> out = new ArrayList<>();
    for (Sandbox s : sandboxes.values()) {
      if (visible(caller, s.owner.uid())) {
        out.add(s);
      }
    }
    return out;
  }

  /** What {@code uid} holds, not counting {@code exclude} (the sandbox being changed). */
  Authorizer.Usage usage(int uid, String exclude) {
    int count = 0;
    int vcpus = 0;
    long mem = 0;
    for (Sandbox s : sandboxes.values()) {
      if (s.owner.uid() == uid && !s.id.equals(exclude)) {
        count++;
        vcpus += s.spec().vcpus();
        mem += s.spec().memoryMiB();
      }
    }
    return new Authorizer.Usage(count, vcpus, mem);
  }

  synchronized int allocateUid(String id) throws LifecycleException {
    Integer have = uids.get(id);
    if (have != null) {
      return have;
    }
    Set<Integer> used = new HashSet<>(uids.values());
    for (int i = 0; i < settings.uidCount(); i++) {
      int uid = settings.uidFirst() + i;
      if (!used.contains(uid)) {
        uids.put(id, uid);
        return uid;
      }
    }
    throw LifecycleException.quotaExceeded(
        "all " + settings.uidCount() + " workload uids from " + settings.uidFirst() + " are in use: destroy sandboxes or widen uidRange");
  }

  synchronized void reserveUid(String id, int uid) {
    uids.put(id, uid);
  }

  synchronized void releaseUid(String id) {
    uids.remove(id);
  }
}
