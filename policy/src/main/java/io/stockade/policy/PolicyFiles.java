package io.stockade.policy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds, vets and parses the files of a policy directory. Every check that fails becomes a
 * {@link PolicyProblem}; a file with one is not parsed further.
 */
final class PolicyFiles {
  static final int MAX_FILE_BYTES = 1024 * 1024;
  static final int MAX_FILES = 1000;
  /** The format nests 6 deep; a little slack, and nowhere near a stack overflow. */
  static final int MAX_DEPTH = 16;

  private static final ObjectMapper MAPPER = JsonMapper.builder(
          com.fasterxml.jackson.core.JsonFactory.builder()
              .streamReadConstraints(StreamReadConstraints.builder()
                  .maxNestingDepth(MAX_DEPTH)
                  .maxNumberLength(32)
                  .maxStringLength(64 * 1024)
                  .build())
              .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
              .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
              .build())
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private final PolicyLoader.Ownership ownership;
  private final List<PolicyProblem> problems;

  PolicyFiles(PolicyLoader.Ownership ownership, List<PolicyProblem> problems) {
    this.ownership = ownership;
    this.problems = problems;
  }

  /** The *.json files of {@code directory} in name order (byte order, as `LC_ALL=C ls`). */
  List<Path> list(Path directory) {
    if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
      problems.add(new PolicyProblem(directory, "", Files.exists(directory, LinkOption.NOFOLLOW_LINKS)
          ? "is not a directory (or is a symbolic link): policy must be a real directory"
          : "does not exist: create it with install -d -o root -g root -m 0755 " + directory));
      return List.of();
    }
    if (!trusted(directory)) {
      return List.of();
    }
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (name.endsWith(".json") && !name.startsWith(".")) {
          out.add(entry);
        }
      }
    } catch (IOException e) {
      problems.add(new PolicyProblem(directory, "", "cannot list: " + e));
      return List.of();
    }
    out.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
    if (out.size() > MAX_FILES) {
      problems.add(new PolicyProblem(directory, "", "holds " + out.size() + " policy files, at most "
          + MAX_FILES + " are read: merge some"));
      return List.of();
    }
    return out;
  }

  /** The file's JSON tree, or null after recording why it cannot be used. */
  JsonNode read(Path directory, Path file) {
    Path target = file;
    try {
      if (Files.isSymbolicLink(file)) {
        target = file.toRealPath();
        if (!target.getParent().equals(directory.toRealPath())) {
          problem(file, "is a symbolic link to " + target + ", outside " + directory
              + ": a policy file must live in the policy directory; copy it in instead");
          return null;
        }
      }
      if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
        problem(file, "is not a regular file: remove it or rename it so it does not end in .json");
        return null;
      }
      if (!trusted(target)) {
        return null;
      }
      byte[] bytes = readBounded(target);
      if (bytes == null) {
        problem(file, "is larger than " + MAX_FILE_BYTES + " bytes: split it into several files");
        return null;
      }
      return parse(file, bytes);
    } catch (IOException e) {
      problem(file, "cannot read: " + e);
      return null;
    }
  }

  private JsonNode parse(Path file, byte[] bytes) {
    try {
      JsonNode root = MAPPER.readTree(bytes);
      if (root == null || root.isMissingNode()) {
        problem(file, "is empty: write {\"version\": 1, \"rules\": []} or remove the file");
        return null;
      }
      return root;
    } catch (JsonProcessingException e) {
      String pointer = "";
      if (e.getProcessor() instanceof JsonParser parser && parser.getParsingContext() != null) {
        pointer = parser.getParsingContext().pathAsPointer().toString();
      }
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
          + ", column " + e.getLocation().getColumnNr();
      problems.add(new PolicyProblem(file, pointer, "not valid JSON" + where + ": "
          + Problems.shorten(e.getOriginalMessage(), 300)));
      return null;
    } catch (IOException e) {
      problem(file, "cannot read: " + e);
      return null;
    }
  }

  /** Reads at most MAX_FILE_BYTES; null when the file is longer (it may grow while we read). */
  private static byte[] readBounded(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
      return bytes.length > MAX_FILE_BYTES ? null : bytes;
    }
  }

  /**
   * A policy file (or its directory) writable by anyone but root could grant that user anything,
   * so it must be owned by root and not writable by group or others.
   */
  private boolean trusted(Path path) {
    if (ownership == PolicyLoader.Ownership.SKIP_CHECK) {
      return true;
    }
    try {
      int uid = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      String fix = Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)
          ? "chown root:root " + path + " && chmod 0755 " + path
          : "chown root:root " + path + " && chmod 0644 " + path;
      if (uid != 0) {
        problem(path, "is owned by uid " + uid + ", not root: whoever owns policy can grant "
            + "themselves anything; fix with: " + fix);
        return false;
      }
      if ((mode & 0022) != 0) {
        problem(path, String.format("has mode %04o, writable by group or others: whoever can write "
            + "policy can grant themselves anything; fix with: %s", mode & 07777, fix));
        return false;
      }
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      problem(path, "cannot read owner and mode: " + e);
      return false;
    }
  }

  private void problem(Path file, String reason) {
    problems.add(new PolicyProblem(file, "", reason));
  }
}
