package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.client.varlink.MalformedMessageException;
import io.stockade.client.varlink.VarlinkJson;
import java.util.Optional;

/**
 * Every method of {@code io.stockade.Supervisor} with its parameter and reply records: the one
 * table the client and the server both dispatch on. A test checks it against the IDL resource.
 */
public enum SupervisorMethod {
  PING("Ping", Requests.None.class, Replies.Ping.class, Streaming.NEVER),
  PREFLIGHT("Preflight", Requests.None.class, Replies.Preflight.class, Streaming.NEVER),
  CREATE("Create", Requests.Create.class, Replies.Sandbox.class, Streaming.NEVER),
  START("Start", Requests.ById.class, Replies.Sandbox.class, Streaming.NEVER),
  STOP("Stop", Requests.Stop.class, Replies.Sandbox.class, Streaming.NEVER),
  KILL("Kill", Requests.ById.class, Replies.Sandbox.class, Streaming.NEVER),
  DESTROY("Destroy", Requests.ById.class, Replies.Sandbox.class, Streaming.NEVER),
  GET("Get", Requests.ById.class, Replies.Sandbox.class, Streaming.NEVER),
  LIST("List", Requests.None.class, Replies.SandboxList.class, Streaming.NEVER),
  LOGS("Logs", Requests.Logs.class, Replies.Logs.class, Streaming.OPTIONAL),
  EVENTS("Events", Requests.Events.class, Replies.Event.class, Streaming.REQUIRED),
  PAUSE("Pause", Requests.ById.class, Replies.Sandbox.class, Streaming.NEVER),
  RESUME("Resume", Requests.ById.class, Replies.Sandbox.class, Streaming.NEVER),
  SNAPSHOT("Snapshot", Requests.Snapshot.class, Replies.Snapshot.class, Streaming.NEVER),
  LIST_SNAPSHOTS("ListSnapshots", Requests.ListSnapshots.class, Replies.SnapshotList.class, Streaming.NEVER),
  RESTORE("Restore", Requests.Restore.class, Replies.Sandbox.class, Streaming.NEVER),
  UPDATE_EGRESS("UpdateEgress", Requests.UpdateEgress.class, Replies.Sandbox.class, Streaming.NEVER);

  /** Whether a method answers a call made with {@code more} with several replies. */
  public enum Streaming {
    /** One reply; {@code more} is accepted and ignored. */
    NEVER,
    /** One reply without {@code more}, a stream with it (Logs: tail, or follow). */
    OPTIONAL,
    /** Only with {@code more}; without it the server answers org.varlink.service.ExpectedMore. */
    REQUIRED
  }

  private final String methodName;
  private final Class<? extends Record> requestType;
  private final Class<? extends Record> replyType;
  private final Streaming streaming;

  SupervisorMethod(
      String methodName,
      Class<? extends Record> requestType,
      Class<? extends Record> replyType,
      Streaming streaming) {
    this.methodName = methodName;
    this.requestType = requestType;
    this.replyType = replyType;
    this.streaming = streaming;
  }

  /** The bare method name: {@code Ping}. */
  public String methodName() {
    return methodName;
  }

  /** The name on the wire: {@code io.stockade.Supervisor.Ping}. */
  public String qualifiedName() {
    return SupervisorProtocol.INTERFACE + "." + methodName;
  }

  public Class<? extends Record> requestType() {
    return requestType;
  }

  public Class<? extends Record> replyType() {
    return replyType;
  }

  public Streaming streaming() {
    return streaming;
  }

  /**
   * Decodes a call's parameters into this method's request record, strictly (unknown fields, wrong
   * types and values the record refuses are errors). For servers.
   *
   * @throws InvalidParameterException naming the offending field, ready to send back
   */
  public Record decodeRequest(ObjectNode parameters) throws InvalidParameterException {
    try {
      return VarlinkJson.decode(parameters, requestType);
    } catch (MalformedMessageException e) {
      throw InvalidParameterException.of(e);
    }
  }

  /** Encodes a reply record after checking it is this method's reply type. For servers. */
  public ObjectNode encodeReply(Record reply) {
    if (!replyType.isInstance(reply)) {
      throw new IllegalArgumentException(
          name() + " replies with " + replyType.getSimpleName() + ", not " + reply.getClass().getSimpleName());
    }
    return VarlinkJson.encode(reply);
  }

  /** The method a fully qualified name denotes, if it is one of this interface's. */
  public static Optional<SupervisorMethod> byQualifiedName(String qualifiedName) {
    for (SupervisorMethod m : values()) {
      if (m.qualifiedName().equals(qualifiedName)) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }
}
