package io.stockade.images;

import java.util.Collection;

/** No catalog names the image asked for. */
public final class ImageNotFound extends ImageException {
  ImageNotFound(String reference, Collection<String> known) {
    super("no image '" + reference + "' in the catalog (known: "
        + (known.isEmpty() ? "none" : String.join(", ", known))
        + "): add a catalog file naming it, or run scripts/build-image for stockade-default");
  }

  private ImageNotFound(String message) {
    super(message);
  }

  static ImageNotFound inStore(String reference, java.nio.file.Path store, Collection<String> stored) {
    return new ImageNotFound("no image '" + reference + "' in the store " + store + " (stored: "
        + (stored.isEmpty() ? "none" : String.join(", ", stored)) + "): see `list`");
  }
}
