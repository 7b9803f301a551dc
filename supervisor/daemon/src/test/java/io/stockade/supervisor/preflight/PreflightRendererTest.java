package io.stockade.supervisor.preflight;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stockade.supervisor.preflight.PreflightReport.KvmVerdict;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreflightRendererTest {
  private final PreflightReport report =
      new PreflightReport(
          List.of(
              CheckResult.ok("kvm.device", "/dev/kvm: crw-rw---- root:kvm 10:232"),
              CheckResult.warn("cgroup.memory", "memory only on cgroup v1", "boot with v2"),
              CheckResult.fatal("seccomp.libseccomp", "libseccomp.so.2 does not load", "apt-get install libseccomp2")),
          KvmVerdict.ANSWERS_BUT_GUESTS_HANG);

  @Test
  void textIsAnAlignedTableWithRemediesBelow() {
    String nl = System.lineSeparator();
    assertThat(PreflightRenderer.text(report))
        .isEqualTo(
            "STATUS  CHECK               FOUND" + nl
                + "ok      kvm.device          /dev/kvm: crw-rw---- root:kvm 10:232" + nl
                + "warn    cgroup.memory       memory only on cgroup v1" + nl
                + "                            remedy: boot with v2" + nl
                + "FATAL   seccomp.libseccomp  libseccomp.so.2 does not load" + nl
                + "                            remedy: apt-get install libseccomp2" + nl
                + nl
                + "KVM: ANSWERS_BUT_GUESTS_HANG -> guests run under TCG (software emulation)" + nl
                + "1 ok, 1 warn, 1 fail (1 fatal): the supervisor refuses to start" + nl);
  }

  @Test
  void jsonCarriesEveryFieldAndTheVerdict() throws Exception {
    JsonNode doc = new ObjectMapper().readTree(PreflightRenderer.json(report));
    assertThat(doc.path("kvm").asText()).isEqualTo("ANSWERS_BUT_GUESTS_HANG");
    assertThat(doc.path("fatal").asBoolean()).isTrue();
    assertThat(doc.path("checks")).hasSize(3);
    JsonNode fatal = doc.path("checks").get(2);
    assertThat(fatal.path("name").asText()).isEqualTo("seccomp.libseccomp");
    assertThat(fatal.path("status").asText()).isEqualTo("FAIL");
    assertThat(fatal.path("remedy").asText()).isEqualTo("apt-get install libseccomp2");
    assertThat(fatal.path("fatal").asBoolean()).isTrue();
    // The JSON is the report: it reads back into the same records.
    PreflightReport back =
        new PreflightReport(
            List.of(new ObjectMapper().treeToValue(doc.path("checks"), CheckResult[].class)),
            KvmVerdict.valueOf(doc.path("kvm").asText()));
    assertThat(back).isEqualTo(report);
  }
}
