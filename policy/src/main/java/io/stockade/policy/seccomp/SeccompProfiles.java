package io.stockade.policy.seccomp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The seccomp profiles shipped with Stockade, one per kind of workload, loaded from this
 * package's resources ({@code <name>.json}) and validated before use.
 */
public final class SeccompProfiles {
  /** Names of the shipped profiles. */
  public static final List<String> NAMES = List.of("process", "qemu", "firecracker", "cloud-hypervisor");

  private static final Pattern SYSCALL = Pattern.compile("[a-z0-9_]{1,40}");
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

  private SeccompProfiles() {}

  /** Loads a shipped profile by name. */
  public static SeccompProfile load(String name) {
    if (!NAMES.contains(name)) {
      throw new SeccompProfileException(
          "unknown seccomp profile \"" + name + "\": use one of " + NAMES);
    }
    String resource = name + ".json";
    try (InputStream in = SeccompProfiles.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new SeccompProfileException("seccomp profile resource " + resource + " is missing from the jar");
      }
      return parse(in, resource);
    } catch (IOException e) {
      throw new SeccompProfileException("cannot read seccomp profile " + resource + ": " + e, e);
    }
  }

  /** Parses and validates a profile; {@code source} names it in error messages. */
  public static SeccompProfile parse(InputStream in, String source) {
    SeccompProfile p;
    try {
      p = JSON.readValue(in, SeccompProfile.class);
    } catch (JsonProcessingException e) {
      throw new SeccompProfileException(source + ": not a valid seccomp profile: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new SeccompProfileException("cannot read seccomp profile " + source + ": " + e, e);
    }
    validate(p, source);
    return p;
  }

  private static void validate(SeccompProfile p, String source) {
    if (p.rules().isEmpty()) {
      throw new SeccompProfileException(source + ": no rules: a profile must allow at least execve");
    }
    for (int i = 0; i < p.rules().size(); i++) {
      SeccompProfile.Rule r = p.rules().get(i);
      String where = source + ": rules[" + i + "]";
      if (r.syscalls().isEmpty()) {
        throw new SeccompProfileException(where + ": \"syscalls\" is empty");
      }
      for (String s : r.syscalls()) {
        if (!SYSCALL.matcher(s).matches()) {
          throw new SeccompProfileException(where + ": \"" + s + "\" is not a system call name");
        }
      }
      boolean errno = r.action() == SeccompProfile.Action.ERRNO;
      if (errno != (r.errno() > 0) || r.errno() < 0 || r.errno() > 4095) {
        throw new SeccompProfileException(
            where + ": \"errno\" (" + r.errno() + ") must be 1..4095 exactly when action is errno");
      }
      for (SeccompProfile.Arg a : r.args()) {
        if (a.index() < 0 || a.index() > 5) {
          throw new SeccompProfileException(where + ": argument index " + a.index() + " is not 0..5");
        }
        if (a.op() == SeccompProfile.Op.MASKED_EQ && a.mask() == 0) {
          throw new SeccompProfileException(where + ": masked_eq needs a non-zero \"mask\"");
        }
      }
    }
  }
}
