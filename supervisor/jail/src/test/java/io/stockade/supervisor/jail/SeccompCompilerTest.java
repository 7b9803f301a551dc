package io.stockade.supervisor.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stockade.policy.seccomp.SeccompProfile;
import io.stockade.policy.seccomp.SeccompProfiles;
import java.util.List;
import org.junit.jupiter.api.Test;

class SeccompCompilerTest {
  @Test
  void everyShippedProfileCompiles() throws Exception {
    for (String name : SeccompProfiles.NAMES) {
      byte[] bpf = SeccompCompiler.compiled(name);
      assertThat(bpf.length).as(name).isPositive();
      assertThat(bpf.length % 8).as(name + " is struct sock_filter[]").isZero();
      assertThat(SeccompCompiler.compiled(name)).isSameAs(bpf);
    }
  }

  @Test
  void unknownSyscallIsNamedInTheError() {
    SeccompProfile p = new SeccompProfile("t", "", SeccompProfile.Action.KILL_PROCESS,
        List.of(new SeccompProfile.Rule("", SeccompProfile.Action.ALLOW, 0, List.of("execve", "stk_jt_no_such_call"), List.of())));
    assertThatThrownBy(() -> SeccompCompiler.compile(p))
        .isInstanceOfSatisfying(JailException.class, e -> assertThat(e.step()).isEqualTo("seccomp_compile"))
        .hasMessageContaining("stk_jt_no_such_call");
  }

  @Test
  void actionsMapToSeccompReturnValues() {
    assertThat(SeccompCompiler.action(SeccompProfile.Action.ERRNO, 97)).isEqualTo(0x00050061);
    assertThat(SeccompCompiler.action(SeccompProfile.Action.KILL_PROCESS, 0)).isEqualTo(0x80000000);
    assertThat(SeccompCompiler.action(SeccompProfile.Action.ALLOW, 0)).isEqualTo(0x7fff0000);
  }
}
