package io.stockade.images;

/** A catalog file is not valid JSON or breaks the catalog format; names the file and field. */
public final class CatalogInvalid extends ImageException {
  private final String source;
  private final String pointer;

  CatalogInvalid(String source, String pointer, String problem) {
    super(source + (pointer.isEmpty() ? "" : " at " + pointer) + ": " + problem
        + " (the format is described in docs/images.md)");
    this.source = source;
    this.pointer = pointer;
  }

  CatalogInvalid(String source, String problem, Throwable cause) {
    super(source + ": " + problem + " (the format is described in docs/images.md)", cause);
    this.source = source;
    this.pointer = "";
  }

  /** The catalog file (or resource) the error is in. */
  public String source() {
    return source;
  }

  /** JSON pointer (RFC 6901) to the offending value; empty for the whole document. */
  public String pointer() {
    return pointer;
  }
}
