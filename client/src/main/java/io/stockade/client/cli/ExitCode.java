package io.stockade.client.cli;

import io.stockade.client.CallInterruptedException;
import io.stockade.client.CallTimeoutException;
import io.stockade.client.ConnectionFailedException;
import io.stockade.client.InvalidStateException;
import io.stockade.client.LaunchFailedException;
import io.stockade.client.NotFoundException;
import io.stockade.client.PermissionDeniedException;
import io.stockade.client.PolicyDeniedException;
import io.stockade.client.ProtocolViolationException;
import io.stockade.client.QuotaExceededException;
import io.stockade.client.StockadeException;

/** The CLI's exit codes (documented in docs/protocol.md and {@code stockade --help}). */
enum ExitCode {
  OK(0, "success"),
  ERROR(1, "the supervisor refused or failed the request (any error not listed below)"),
  USAGE(2, "bad command line"),
  CANNOT_CONNECT(3, "cannot connect to the supervisor's socket"),
  DENIED(4, "permission denied, denied by policy, or quota exceeded"),
  NOT_FOUND(5, "no such sandbox or snapshot"),
  INVALID_STATE(6, "the sandbox's state does not allow the operation"),
  LAUNCH_FAILED(7, "the sandbox failed to launch"),
  TIMEOUT(8, "no reply within --call-timeout"),
  PROTOCOL(9, "the supervisor hung up or sent a broken reply"),
  INTERRUPTED(130, "interrupted");

  final int code;
  final String meaning;

  ExitCode(int code, String meaning) {
    this.code = code;
    this.meaning = meaning;
  }

  static ExitCode of(StockadeException e) {
    if (e instanceof ConnectionFailedException) {
      return CANNOT_CONNECT;
    }
    if (e instanceof PermissionDeniedException || e instanceof PolicyDeniedException || e instanceof QuotaExceededException) {
      return DENIED;
    }
    if (e instanceof NotFoundException) {
      return NOT_FOUND;
    }
    if (e instanceof InvalidStateException) {
      return INVALID_STATE;
    }
    if (e instanceof LaunchFailedException) {
      return LAUNCH_FAILED;
    }
    if (e instanceof CallTimeoutException) {
      return TIMEOUT;
    }
    if (e instanceof ProtocolViolationException) {
      return PROTOCOL;
    }
    if (e instanceof CallInterruptedException) {
      return INTERRUPTED;
    }
    return ERROR;
  }

  /** The table for --help. */
  static String table() {
    StringBuilder sb = new StringBuilder();
    for (ExitCode c : values()) {
      sb.append(String.format("  %3d  %s%n", c.code, c.meaning));
    }
    return sb.toString();
  }
}
