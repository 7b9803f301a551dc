package io.stockade.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockade.client.varlink.VarlinkReply;
import io.stockade.client.varlink.VarlinkService;

/** Turns an error reply into the exception named after it. */
final class RemoteErrors {
  private RemoteErrors() {}

  static StockadeException fromReply(VarlinkReply reply) {
    ObjectNode p = reply.parameters();
    String name = reply.error();
    switch (name) {
      case NotFoundException.ERROR_NAME:
        return NotFoundException.fromParameters(p);
      case PermissionDeniedException.ERROR_NAME:
        return PermissionDeniedException.fromParameters(p);
      case VarlinkService.PERMISSION_DENIED:
        return new PermissionDeniedException("the server refused access (" + name + ")");
      case PolicyDeniedException.ERROR_NAME:
        return PolicyDeniedException.fromParameters(p);
      case QuotaExceededException.ERROR_NAME:
        return QuotaExceededException.fromParameters(p);
      case InvalidStateException.ERROR_NAME:
        return InvalidStateException.fromParameters(p);
      case UnsupportedException.ERROR_NAME:
        return UnsupportedException.fromParameters(p);
      case LaunchFailedException.ERROR_NAME:
        return LaunchFailedException.fromParameters(p);
      case InvalidRequestException.ERROR_NAME:
        return InvalidRequestException.fromParameters(p);
      case InternalException.ERROR_NAME:
        return InternalException.fromParameters(p);
      case InvalidParameterException.ERROR_NAME:
        return InvalidParameterException.fromParameters(p);
      case MethodNotFoundException.ERROR_NAME:
        return MethodNotFoundException.fromParameters(p);
      case MethodNotImplementedException.ERROR_NAME:
        return MethodNotImplementedException.fromParameters(p);
      case InterfaceNotFoundException.ERROR_NAME:
        return InterfaceNotFoundException.fromParameters(p);
      default:
        return new UnknownErrorException(name, p);
    }
  }
}
