package io.stockade.supervisor.jail;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LaunchSmokeTest {
  static JailTestSupport jails;

  @BeforeAll
  static void setUp() throws Exception {
    jails = JailTestSupport.create("smoke", 910_000);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (jails != null) {
      jails.close();
    }
  }

  @Test
  void shellRunsConfined() throws Exception {
    String id = jails.newId("sh");
    JailedProcess p = jails.launcher.launch(jails.shell(id, "id; hostname; ls /; cat /proc/self/status | grep -E 'Cap|NoNew|Seccomp'; exit 3"));
    int status = JailTestSupport.await(p);
    System.out.println(JailTestSupport.console(p));
    assertThat(status).isEqualTo(3);
  }
}
