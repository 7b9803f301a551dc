package io.stockade.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Constants of the Stockade protocol and the interface description shipped with the client. */
public final class SupervisorProtocol {
  /** The varlink interface name. */
  public static final String INTERFACE = "io.stockade.Supervisor";

  /**
   * The protocol version this library speaks. Within a version the interface only grows (new
   * methods, errors, nullable parameters, reply fields); anything else increments it. See
   * docs/protocol.md.
   */
  public static final int PROTOCOL_VERSION = 1;

  /** Where the supervisor listens unless configured otherwise. */
  public static final Path DEFAULT_SOCKET = Path.of("/run/stockade/stockade.sock");

  private static final String IDL_RESOURCE = INTERFACE + ".varlink";

  private SupervisorProtocol() {}

  /** The interface in varlink IDL, as the server returns it from GetInterfaceDescription. */
  public static String interfaceDescription() {
    try (InputStream in = SupervisorProtocol.class.getResourceAsStream(IDL_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "resource io/stockade/client/" + IDL_RESOURCE + " is missing from the client jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("reading resource " + IDL_RESOURCE, e);
    }
  }
}
