package io.stockade.supervisor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.stockade.images.Catalog;
import io.stockade.images.ConsoleProgress;
import io.stockade.images.GcResult;
import io.stockade.images.ImageException;
import io.stockade.images.ImageStore;
import io.stockade.images.ResolvedImage;
import io.stockade.images.StoredImage;
import io.stockade.supervisor.config.SupervisorConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * `stockade-supervisor images list|pull REF|remove REF|gc|import FILE SHA256`: the operator's view
 * of the image store, on the same store and catalogs the daemon uses. Pulls share the store's
 * locks with a running daemon, so the two never download one blob twice or see half a file.
 */
final class ImagesCommand {
  static final String USAGE =
      "usage: stockade-supervisor images list [--json]\n"
          + "       stockade-supervisor images pull NAME[:VERSION]     download and verify (progress on stderr)\n"
          + "       stockade-supervisor images remove NAME[:VERSION]   forget it; blobs no sandbox uses are deleted\n"
          + "       stockade-supervisor images gc                      delete blobs no image or sandbox uses\n"
          + "       stockade-supervisor images import FILE SHA256      add a file obtained out of band (air-gapped hosts)\n"
          + "  (each also takes --config FILE and --set KEY=VALUE)\n";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ImagesCommand() {}

  /** {@code words} are the positional words after "images"; returns the exit status. */
  static int run(List<String> words, SupervisorConfig config, boolean json, PrintStream out, PrintStream err)
      throws Exception {
    if (words.isEmpty()) {
      err.print(USAGE);
      return 2;
    }
    String verb = words.get(0);
    int want = switch (verb) {
      case "list", "gc" -> 1;
      case "pull", "remove" -> 2;
      case "import" -> 3;
      default -> -1;
    };
    if (want < 0 || words.size() != want) {
      err.print((want < 0 ? "unknown images command '" + verb + "'\n" : "wrong number of arguments\n") + USAGE);
      return 2;
    }
    Catalog catalog = Catalog.load(SupervisorWiring.existing(config.strings("catalogFiles")));
    ImageStore store = ImageStore.open(config.path("imageDir"), catalog);
    try {
      switch (verb) {
        case "list" -> list(store.list(), json, out);
        case "pull" -> {
          ResolvedImage r = store.pull(words.get(1), ConsoleProgress.stderr());
          out.println("pulled " + r.name() + ":" + r.version() + " (verified: kernel"
              + r.initrd().map(i -> ", initrd").orElse("") + r.rootfs().map(f -> ", rootfs").orElse("") + ")");
        }
        case "remove" -> gcResult("removed " + words.get(1), store.remove(words.get(1)), out);
        case "gc" -> gcResult("gc", store.gc(), out);
        case "import" -> {
          Path blob = store.importFile(Path.of(words.get(1)), words.get(2));
          out.println("imported " + words.get(1) + " as " + blob);
        }
        default -> throw new IllegalStateException(verb);
      }
      return 0;
    } catch (ImageException e) {
      err.println("stockade-supervisor images " + verb + ": " + e.getMessage());
      return 1;
    } finally {
      store.close();
    }
  }

  private static void list(List<StoredImage> images, boolean json, PrintStream out) throws Exception {
    if (json) {
      out.println(JSON.writeValueAsString(images));
      return;
    }
    out.printf("%-24s %-40s %10s  %-8s %s%n", "NAME", "VERSION", "MIB", "STATE", "USED BY");
    for (StoredImage i : images) {
      out.printf("%-24s %-40s %10d  %-8s %s%n", i.name(), i.version(), i.bytes() >> 20,
          i.complete() ? "complete" : "partial", i.usedBy().isEmpty() ? "-" : String.join(",", i.usedBy()));
    }
  }

  private static void gcResult(String what, GcResult r, PrintStream out) {
    out.println(what + ": " + r.removedBlobs().size() + " blob(s), " + (r.bytesFreed() >> 20) + " MiB freed, "
        + r.partialsRemoved() + " partial download(s) removed");
  }
}
