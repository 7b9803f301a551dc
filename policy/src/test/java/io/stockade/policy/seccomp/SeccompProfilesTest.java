package io.stockade.policy.seccomp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SeccompProfilesTest {
  static SeccompProfile parse(String json) {
    return SeccompProfiles.parse(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "test.json");
  }

  @Test
  void everyShippedProfileKillsByDefaultAndAllowsExecve() {
    for (String name : SeccompProfiles.NAMES) {
      SeccompProfile p = SeccompProfiles.load(name);
      assertThat(p.name()).isEqualTo(name);
      assertThat(p.defaultAction()).isEqualTo(SeccompProfile.Action.KILL_PROCESS);
      assertThat(p.rules()).anyMatch(r -> r.action() == SeccompProfile.Action.ALLOW && r.syscalls().contains("execve"));
      // No profile lets a workload out of its namespaces or into the kernel.
      assertThat(p.rules().stream().filter(r -> r.action() == SeccompProfile.Action.ALLOW).flatMap(r -> r.syscalls().stream()))
          .doesNotContain("unshare", "setns", "mount", "pivot_root", "ptrace", "init_module", "finit_module", "bpf",
              "kexec_load", "perf_event_open", "keyctl", "reboot", "umount2", "chroot");
    }
  }

  @Test
  void cloneIsAllowedOnlyWithoutNamespaceFlags() {
    SeccompProfile.Rule clone = SeccompProfiles.load("process").rules().stream()
        .filter(r -> r.syscalls().equals(java.util.List.of("clone"))).findFirst().orElseThrow();
    assertThat(clone.args()).singleElement().satisfies(a -> {
      assertThat(a.op()).isEqualTo(SeccompProfile.Op.MASKED_EQ);
      assertThat(a.mask() & 0x10000000L).as("CLONE_NEWUSER").isNotZero();
      assertThat(a.value()).isZero();
    });
  }

  @Test
  void badProfilesAreRefusedWithTheField() {
    assertThatThrownBy(() -> SeccompProfiles.load("docker")).hasMessageContaining("process, qemu");
    assertThatThrownBy(() -> parse("{\"name\":\"x\",\"defaultAction\":\"allow\",\"rules\":[]}"))
        .hasMessageContaining("no rules");
    assertThatThrownBy(() -> parse("{\"name\":\"x\",\"defaultAction\":\"explode\",\"rules\":[]}"))
        .isInstanceOf(SeccompProfileException.class).hasMessageContaining("test.json");
    assertThatThrownBy(() -> parse("{\"name\":\"x\",\"defaultAction\":\"kill_process\",\"rules\":"
        + "[{\"action\":\"errno\",\"syscalls\":[\"socket\"]}]}")).hasMessageContaining("rules[0]").hasMessageContaining("errno");
    assertThatThrownBy(() -> parse("{\"name\":\"x\",\"defaultAction\":\"kill_process\",\"rules\":"
        + "[{\"action\":\"allow\",\"syscalls\":[\"Exec ve\"]}]}")).hasMessageContaining("not a system call name");
    assertThatThrownBy(() -> parse("{\"name\":\"x\",\"defaultAction\":\"kill_process\",\"rules\":"
        + "[{\"action\":\"allow\",\"syscalls\":[\"read\"],\"args\":[{\"index\":6,\"op\":\"eq\",\"value\":1}]}]}"))
        .hasMessageContaining("index 6");
    assertThatThrownBy(() -> parse("{\"name\":\"x\",\"defaultAction\":\"kill_process\",\"typo\":1,\"rules\":[]}"))
        .hasMessageContaining("typo");
  }
}
