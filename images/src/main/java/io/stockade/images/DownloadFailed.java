package io.stockade.images;

import java.util.List;

/** Every source of one file failed; the message lists each URL with its reason. */
public final class DownloadFailed extends ImageException {
  private final List<String> attempts;

  DownloadFailed(String what, String sha256, List<String> attempts, Throwable lastCause) {
    super("could not fetch " + what + " (sha256 " + sha256 + ") from any source:\n  "
        + String.join("\n  ", attempts)
        + "\ncheck that the mirrors serve this file, or import it with `stockade images import`",
        lastCause);
    this.attempts = List.copyOf(attempts);
  }

  /** One line per attempt: URL and why it failed. */
  public List<String> attempts() {
    return attempts;
  }
}
