package io.stockade.images;

import java.util.regex.Pattern;

/**
 * Checks every name that becomes part of a path in the store (image names, versions, sandbox
 * ids, digests) before it is used, so that no catalog entry or caller can reach outside the
 * store with {@code ../} or an absolute path.
 */
final class Names {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,127}");
  private static final Pattern SANDBOX_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private Names() {}

  static boolean isName(String s) {
    return s != null && NAME.matcher(s).matches() && !s.contains("..");
  }

  static boolean isVersion(String s) {
    return s != null && VERSION.matcher(s).matches() && !s.contains("..");
  }

  static boolean isSha256(String s) {
    return s != null && SHA256.matcher(s).matches();
  }

  static String requireSandboxId(String id) throws ReferenceInvalid {
    if (id == null || !SANDBOX_ID.matcher(id).matches() || id.contains("..")) {
      throw new ReferenceInvalid(
          "sandbox id", id, "use 1-128 characters of [A-Za-z0-9._-], starting with a letter or digit");
    }
    return id;
  }

  static String requireSha256(String digest) throws ReferenceInvalid {
    if (!isSha256(digest)) {
      throw new ReferenceInvalid("sha256 digest", digest, "use 64 lowercase hexadecimal digits");
    }
    return digest;
  }

  /** Splits {@code name} or {@code name:version}; the version is null when absent. */
  static String[] parseReference(String reference) throws ReferenceInvalid {
    if (reference == null || reference.isEmpty()) {
      throw new ReferenceInvalid("image reference", reference, "name an image: NAME or NAME:VERSION");
    }
    int colon = reference.indexOf(':');
    String name = colon < 0 ? reference : reference.substring(0, colon);
    String version = colon < 0 ? null : reference.substring(colon + 1);
    if (!isName(name)) {
      throw new ReferenceInvalid(
          "image reference",
          reference,
          "the name must be 1-64 characters of [a-z0-9._-] starting with a letter or digit");
    }
    if (version != null && !isVersion(version)) {
      throw new ReferenceInvalid(
          "image reference",
          reference,
          "the version must be 1-128 characters of [A-Za-z0-9._+-] starting with a letter or digit");
    }
    return new String[] {name, version};
  }
}
