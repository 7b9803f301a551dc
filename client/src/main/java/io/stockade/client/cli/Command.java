package io.stockade.client.cli;

import io.stockade.client.StockadeClient;
import io.stockade.client.StockadeException;
import java.util.List;

/**
 * One subcommand: its names, its help and its options, and what it does.
 *
 * @param name the subcommand
 * @param aliases other names for it (ls for list)
 * @param usage the synopsis after the name
 * @param summary one line for the global help
 * @param details the rest of its --help
 * @param flags options without a value, each a list of aliases with the canonical name first
 * @param valued options with a value
 * @param action what it does
 */
record Command(
    String name,
    List<String> aliases,
    String usage,
    String summary,
    String details,
    List<List<String>> flags,
    List<List<String>> valued,
    Action action) {

  /** The subcommand's body; returns the exit code. */
  interface Action {
    int run(CommandLine args, Session session) throws StockadeException, UsageException;
  }

  /** What a subcommand works with: the client (connected on first use) and the output. */
  interface Session {
    StockadeClient client() throws StockadeException;

    Output output();
  }

  boolean answersTo(String word) {
    return name.equals(word) || aliases.contains(word);
  }

  String help() {
    return "Usage: stockade " + name + (usage.isEmpty() ? "" : " " + usage) + "\n\n" + summary + "\n"
        + (details.isEmpty() ? "" : "\n" + details + (details.endsWith("\n") ? "" : "\n"));
  }
}
