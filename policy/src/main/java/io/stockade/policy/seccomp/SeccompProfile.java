package io.stockade.policy.seccomp;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Objects;

/**
 * A seccomp allowlist as data: what the kernel does with each system call of a jailed workload.
 * The jail compiles it to BPF with libseccomp; {@link SeccompProfiles} loads and validates it.
 *
 * @param name profile name (process, qemu, firecracker, cloud-hypervisor)
 * @param description what the profile is for and where its list came from
 * @param defaultAction what happens to any call no rule matches (kill_process for every shipped
 *     profile)
 * @param rules in order; a call may match several rules with different argument conditions
 */
public record SeccompProfile(String name, String description, Action defaultAction, List<Rule> rules) {

  public SeccompProfile {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(defaultAction, "defaultAction");
    description = description == null ? "" : description;
    rules = List.copyOf(rules);
  }

  /** What a matching rule does. */
  public enum Action {
    @JsonProperty("allow") ALLOW,
    /** Fails the call with {@link Rule#errno()}. */
    @JsonProperty("errno") ERRNO,
    /** Kills the whole process with SIGSYS (seccomp's SECCOMP_RET_KILL_PROCESS). */
    @JsonProperty("kill_process") KILL_PROCESS,
    @JsonProperty("kill_thread") KILL_THREAD,
    @JsonProperty("trap") TRAP,
    @JsonProperty("log") LOG
  }

  /** Comparison of one system call argument, as libseccomp's scmp_compare. */
  public enum Op {
    @JsonProperty("ne") NE,
    @JsonProperty("lt") LT,
    @JsonProperty("le") LE,
    @JsonProperty("eq") EQ,
    @JsonProperty("ge") GE,
    @JsonProperty("gt") GT,
    /** (arg &amp; mask) == value */
    @JsonProperty("masked_eq") MASKED_EQ
  }

  /**
   * One rule: these calls, when every argument condition holds, get this action.
   *
   * @param comment why the rule exists (ignored by the compiler)
   * @param errno the error returned when {@code action} is errno (1..4095), else 0
   */
  public record Rule(String comment, Action action, int errno, List<String> syscalls, List<Arg> args) {
    public Rule {
      Objects.requireNonNull(action, "action");
      comment = comment == null ? "" : comment;
      syscalls = List.copyOf(syscalls == null ? List.of() : syscalls);
      args = List.copyOf(args == null ? List.of() : args);
    }
  }

  /**
   * A condition on argument {@code index} (0..5).
   *
   * @param mask used by masked_eq only
   */
  public record Arg(int index, Op op, long value, long mask) {
    public Arg {
      Objects.requireNonNull(op, "op");
    }
  }
}
