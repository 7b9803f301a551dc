package io.stockade.images;

/** A name, version, reference, sandbox id or digest is malformed or would escape the store. */
public final class ReferenceInvalid extends ImageException {
  private final String value;

  ReferenceInvalid(String what, String value, String remedy) {
    super("invalid " + what + " '" + value + "': " + remedy);
    this.value = value;
  }

  /** The rejected value as given. */
  public String value() {
    return value;
  }
}
