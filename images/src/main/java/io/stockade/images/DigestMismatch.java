package io.stockade.images;

/** Bytes read from a source do not have the SHA-256 digest (or size) the catalog promises. */
public final class DigestMismatch extends ImageException {
  private final String expected;
  private final String actual;

  DigestMismatch(String source, String expected, String actual, long size) {
    super(source + ": SHA-256 is " + actual + " (" + size + " bytes), expected " + expected
        + ": the source holds other bytes than the catalog names; fix the mirror or the catalog");
    this.expected = expected;
    this.actual = actual;
  }

  public String expected() {
    return expected;
  }

  public String actual() {
    return actual;
  }
}
