package io.stockade.images;

import java.net.URI;
import java.util.List;

/**
 * One file of an image as the catalog names it.
 *
 * @param urls where to fetch it, mirrors in the order to try (http, https or file)
 * @param size exact size in bytes
 * @param sha256 lowercase hex SHA-256 of the whole file: the store's key for it
 */
public record ImageFile(List<URI> urls, long size, String sha256) {
  public ImageFile {
    urls = List.copyOf(urls);
  }
}
