package io.stockade.client.cli;

/** The command line is wrong; the message says how, and the CLI exits with {@link ExitCode#USAGE}. */
final class UsageException extends Exception {
  private final String command;

  UsageException(String command, String message) {
    super(message);
    this.command = command;
  }

  /** The subcommand whose usage to show, or null for the global usage. */
  String command() {
    return command;
  }
}
