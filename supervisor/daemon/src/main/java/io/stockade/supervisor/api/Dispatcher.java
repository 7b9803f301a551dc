package io.stockade.supervisor.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.policy.Authorizer;
import io.stockade.policy.Subject;
import io.stockade.supervisor.lifecycle.ConsoleBuffer;
import io.stockade.supervisor.lifecycle.EventBus;
import io.stockade.supervisor.lifecycle.Lifecycle;
import io.stockade.supervisor.lifecycle.LifecycleException;
import io.stockade.supervisor.lifecycle.SandboxEvent;
import io.stockade.supervisor.lifecycle.SandboxSpec;
import io.stockade.supervisor.preflight.PreflightReport;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Authorises and runs one call. Ping and the varlink service interface are open to everyone;
 * Preflight is root's; everything else needs a policy grant (or root), and sandboxes are scoped
 * to their owner by the lifecycle.
 */
public final class Dispatcher {
  static final int PROTOCOL_VERSION = 1;
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final long POLL_MILLIS = 250;

  private final Lifecycle lifecycle;
  private final Supplier<Authorizer> policy;
  private final Supplier<PreflightReport> preflight;
  private final String version;
  private final String interfaceDescription;
  private volatile boolean closing;

  public Dispatcher(
      Lifecycle lifecycle,
      Supplier<Authorizer> policy,
      Supplier<PreflightReport> preflight,
      String version,
      String interfaceDescription) {
    this.lifecycle = lifecycle;
    this.policy = policy;
    this.preflight = preflight;
    this.version = version;
    this.interfaceDescription = interfaceDescription;
  }

  /** Ends every stream at its next poll (supervisor shutdown). */
  void close() {
    closing = true;
  }

  void dispatch(Subject who, String method, ObjectNode params, boolean more, ReplySink out)
      throws ApiError, IOException {
    int dot = method.lastIndexOf('.');
    String iface = dot < 0 ? "" : method.substring(0, dot);
    String name = method.substring(dot + 1);
    if (iface.equals(ApiError.SERVICE)) {
      service(name, method, params, out);
      return;
    }
    if (!iface.equals(ApiError.IFACE)) {
      throw ApiError.interfaceNotFound(iface);
    }
    if (name.equals("Ping")) {
      Params.of(params);
      out.reply(F.objectNode().put("version", version).put("protocolVersion", PROTOCOL_VERSION), false);
      return;
    }
    if (!Handlers.NAMES.contains(name)) {
      throw ApiError.methodNotFound(method);
    }
    authorise(who, name);
    try {
      call(who, name, params, more, out);
    } catch (LifecycleException e) {
      throw ApiError.of(e);
    }
  }

  private void authorise(Subject who, String name) throws ApiError {
    if (who.isRoot()) {
      return;
    }
    if (name.equals("Preflight")) {
      throw ApiError.permissionDenied("Preflight is for root only");
    }
    if (policy.get().grantFor(who).isEmpty() && !policy.get().isAdmin(who)) {
      throw ApiError.permissionDenied(
          "uid " + who.uid() + (who.userName().isEmpty() ? "" : " (" + who.userName() + ")")
              + " has no grant in the supervisor's policy: ask the operator to add one");
    }
  }

  private void service(String name, String method, ObjectNode params, ReplySink out) throws ApiError, IOException {
    switch (name) {
      case "GetInfo" -> {
        Params.of(params);
        ObjectNode o = F.objectNode().put("vendor", "Stockade").put("product", "stockade-supervisor")
            .put("version", version).put("url", "");
        o.putArray("interfaces").add(ApiError.SERVICE).add(ApiError.IFACE);
        out.reply(o, false);
      }
      case "GetInterfaceDescription" -> {
        String iface = Params.of(params, "interface").string("interface", true);
        String text;
        if (iface.equals(ApiError.IFACE)) {
          text = interfaceDescription;
        } else if (iface.equals(ApiError.SERVICE)) {
          text = SERVICE_IDL;
        } else {
          throw ApiError.interfaceNotFound(iface);
        }
        out.reply(F.objectNode().put("description", text), false);
      }
      default -> throw ApiError.methodNotFound(method);
    }
  }

  private void call(Subject who, String name, ObjectNode params, boolean more, ReplySink out)
      throws ApiError, IOException, LifecycleException {
    switch (name) {
      case "Preflight" -> {
        Params.of(params);
        out.reply(Wire.preflight(preflight.get()), false);
      }
      case "Create" -> {
        Params p = Params.of(params, "spec");
        SandboxSpec spec = Handlers.spec(p.object("spec", true, Handlers.SPEC_FIELDS));
        out.reply(sandbox(lifecycle.create(who, spec)), false);
      }
      case "Start" -> out.reply(sandbox(lifecycle.start(who, id(params))), false);
      case "Stop" -> {
        Params p = Params.of(params, "id", "timeoutSeconds", "graceful");
        long t = p.integer("timeoutSeconds", -1, 0, 3600);
        Boolean graceful = p.bool("graceful");
        out.reply(sandbox(lifecycle.stop(who, p.string("id", true), t < 0 ? null : Duration.ofSeconds(t),
            graceful == null || graceful)), false);
      }
      case "Kill" -> out.reply(sandbox(lifecycle.kill(who, id(params))), false);
      case "Destroy" -> out.reply(sandbox(lifecycle.destroy(who, id(params))), false);
      case "Get" -> out.reply(sandbox(lifecycle.get(who, id(params))), false);
      case "List" -> {
        Params.of(params);
        ObjectNode o = F.objectNode();
        o.set("sandboxes", Wire.sandboxes(lifecycle.list(who)));
        out.reply(o, false);
      }
      case "Pause" -> out.reply(sandbox(lifecycle.pause(who, id(params))), false);
      case "Resume" -> out.reply(sandbox(lifecycle.resume(who, id(params))), false);
      case "Snapshot" -> {
        Params p = Params.of(params, "id", "name");
        ObjectNode o = F.objectNode();
        o.set("snapshot", Wire.snapshot(lifecycle.snapshot(who, p.string("id", true), p.string("name", true))));
        out.reply(o, false);
      }
      case "ListSnapshots" -> {
        Params p = Params.of(params, "id");
        ObjectNode o = F.objectNode();
        o.set("snapshots", Wire.snapshots(lifecycle.listSnapshots(who, p.string("id", false))));
        out.reply(o, false);
      }
      case "Restore" -> {
        Params p = Params.of(params, "snapshot", "name");
        out.reply(sandbox(lifecycle.restore(who, p.string("snapshot", true), p.string("name", false))), false);
      }
      case "UpdateEgress" -> {
        Params p = Params.of(params, "id", "egress", "dnsNames");
        List<io.stockade.policy.EgressRule> egress = p.egress("egress");
        if (egress == null) {
          throw ApiError.invalidParameter("egress");
        }
        out.reply(sandbox(lifecycle.updateEgress(who, p.string("id", true), egress, p.strings("dnsNames"))), false);
      }
      case "Logs" -> logs(who, params, more, out);
      case "Events" -> events(who, params, more, out);
      default -> throw ApiError.methodNotFound(ApiError.IFACE + "." + name);
    }
  }

  private static String id(ObjectNode params) throws ApiError {
    return Params.of(params, "id").string("id", true);
  }

  private static ObjectNode sandbox(io.stockade.supervisor.lifecycle.SandboxView v) {
    ObjectNode o = F.objectNode();
    o.set("sandbox", Wire.sandbox(v));
    return o;
  }

  private void logs(Subject who, ObjectNode params, boolean more, ReplySink out)
      throws ApiError, IOException, LifecycleException {
    Params p = Params.of(params, "id", "tail");
    int tail = (int) p.integer("tail", 100, 0, 100_000);
    ConsoleBuffer console = lifecycle.console(who, p.string("id", true));
    ConsoleBuffer.Chunk chunk = console.tail(tail);
    if (!more) {
      out.reply(F.objectNode().put("data", join(chunk.lines())), false);
      return;
    }
    out.reply(F.objectNode().put("data", join(chunk.lines())), true);
    long next = chunk.nextSeq();
    while (!closing) {
      try {
        console.awaitAfter(next, POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      ConsoleBuffer.Chunk c = console.since(next);
      next = c.nextSeq();
      if (!c.lines().isEmpty()) {
        out.reply(F.objectNode().put("data", join(c.lines())), true);
      } else if (c.closed()) {
        break;
      } else if (out.peerGone()) {
        return;
      }
    }
    out.reply(F.objectNode().put("data", ""), false);
  }

  private void events(Subject who, ObjectNode params, boolean more, ReplySink out)
      throws ApiError, IOException, LifecycleException {
    Params p = Params.of(params, "id");
    if (!more) {
      throw ApiError.expectedMore();
    }
    String ref = p.string("id", false);
    String only = ref == null ? null : lifecycle.resolve(who, ref);
    try (EventBus.Subscription sub =
        lifecycle.events().subscribe(
            e -> lifecycle.visible(who, e.ownerUid()) && (only == null || only.equals(e.id())))) {
      while (!closing) {
        SandboxEvent e = sub.poll(POLL_MILLIS);
        if (e != null) {
          ObjectNode o = F.objectNode();
          o.set("event", Wire.event(e));
          out.reply(o, true);
        } else if (sub.overflowed()) {
          throw ApiError.internal("event stream overflowed: the client read too slowly; subscribe again");
        } else if (out.peerGone()) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String join(List<String> lines) {
    if (lines.isEmpty()) {
      return "";
    }
    return String.join("\n", lines) + "\n";
  }

  static final String SERVICE_IDL =
      "# The Varlink Service Interface is provided by every varlink service.\n"
          + "interface org.varlink.service\n\n"
          + "method GetInfo() -> (vendor: string, product: string, version: string, url: string, interfaces: []string)\n\n"
          + "method GetInterfaceDescription(interface: string) -> (description: string)\n\n"
          + "error InterfaceNotFound (interface: string)\n\n"
          + "error MethodNotFound (method: string)\n\n"
          + "error MethodNotImplemented (method: string)\n\n"
          + "error InvalidParameter (parameter: string)\n\n"
          + "error PermissionDenied ()\n\n"
          + "error ExpectedMore ()\n";
}
