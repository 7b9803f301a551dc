package io.stockade.client.varlink;

/**
 * Names from the standard {@code org.varlink.service} interface that every varlink service
 * implements, and the interface's own description.
 */
public final class VarlinkService {
  public static final String INTERFACE = "org.varlink.service";
  public static final String GET_INFO = INTERFACE + ".GetInfo";
  public static final String GET_INTERFACE_DESCRIPTION = INTERFACE + ".GetInterfaceDescription";

  public static final String INTERFACE_NOT_FOUND = INTERFACE + ".InterfaceNotFound";
  public static final String METHOD_NOT_FOUND = INTERFACE + ".MethodNotFound";
  public static final String METHOD_NOT_IMPLEMENTED = INTERFACE + ".MethodNotImplemented";
  public static final String INVALID_PARAMETER = INTERFACE + ".InvalidParameter";
  public static final String PERMISSION_DENIED = INTERFACE + ".PermissionDenied";
  public static final String EXPECTED_MORE = INTERFACE + ".ExpectedMore";

  /** The standard interface's description, as GetInterfaceDescription returns it. */
  public static final String DESCRIPTION =
      "# The Varlink Service Interface is provided by every varlink service. It\n"
          + "# describes the service and the interfaces it implements.\n"
          + "interface org.varlink.service\n"
          + "\n"
          + "# Get a list of all the interfaces a service provides and information\n"
          + "# about the implementation.\n"
          + "method GetInfo() -> (\n"
          + "  vendor: string,\n"
          + "  product: string,\n"
          + "  version: string,\n"
          + "  url: string,\n"
          + "  interfaces: []string\n"
          + ")\n"
          + "\n"
          + "# Get the description of an interface that is implemented by this service.\n"
          + "method GetInterfaceDescription(interface: string) -> (description: string)\n"
          + "\n"
          + "# The requested interface was not found.\n"
          + "error InterfaceNotFound (interface: string)\n"
          + "\n"
          + "# The requested method was not found\n"
          + "error MethodNotFound (method: string)\n"
          + "\n"
          + "# The interface defines the requested method, but the service does not\n"
          + "# implement it.\n"
          + "error MethodNotImplemented (method: string)\n"
          + "\n"
          + "# One of the passed parameters is invalid.\n"
          + "error InvalidParameter (parameter: string)\n"
          + "\n"
          + "# Client is denied access\n"
          + "error PermissionDenied ()\n"
          + "\n"
          + "# Method is expected to be called with 'more' set to true, but wasn't\n"
          + "error ExpectedMore ()\n";

  private VarlinkService() {}

  /** GetInfo's reply. {@code url} may be empty: Stockade names no internet host. */
  public record ServiceInfo(
      String vendor, String product, String version, String url, java.util.List<String> interfaces) {
    public ServiceInfo {
      interfaces = java.util.List.copyOf(interfaces);
    }
  }

  /** GetInterfaceDescription's parameters. */
  public record InterfaceRequest(
      @com.fasterxml.jackson.annotation.JsonProperty("interface") String interfaceName) {
    public InterfaceRequest {
      java.util.Objects.requireNonNull(interfaceName, "interface");
    }
  }

  /** GetInterfaceDescription's reply. */
  public record InterfaceDescription(String description) {}
}
