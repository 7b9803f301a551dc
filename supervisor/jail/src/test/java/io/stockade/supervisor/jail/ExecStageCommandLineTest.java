package io.stockade.supervisor.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ExecStageCommandLineTest {
  @Test
  void everyFlagInContractOrder() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TERM", "dumb");
    env.put("HOME", "/run");
    List<String> args = ExecStageCommandLine.builder(Path.of("/usr/libexec/stockade/stockade-exec"))
        .cgroupFork(Path.of("/sys/fs/cgroup/unified/s1"))
        .cgroup(Path.of("/sys/fs/cgroup/memory/s1"))
        .netns(Optional.of(Path.of("/run/netns/stk-s1")))
        .root(Path.of("/var/lib/stockade/jails/s1/root"))
        .jailDir(Path.of("/var/lib/stockade/jails/s1"))
        .consoleMax(1024)
        .hostname("s1")
        .bind(Path.of("/usr"), "/usr", ExecStageCommandLine.Access.READ_ONLY)
        .bind(Path.of("/srv/disk.img"), "/disk.img", ExecStageCommandLine.Access.READ_WRITE)
        .device(new ExecStageCommandLine.Device("net/tun", 'c', 10, 200, 0600, 900001, 900001))
        .tmpfsSize(4096)
        .rlimit(ExecStageCommandLine.Rlimit.NOFILE, 256)
        .rlimit(ExecStageCommandLine.Rlimit.FSIZE, -1)
        .ids(900001, 900001)
        .userNamespace(true)
        .seccomp(Path.of("/var/lib/stockade/jails/s1/seccomp.bpf"))
        .cwd("/run")
        .env(env)
        .exec("/usr/bin/qemu-system-x86_64", List.of("qemu", "-M", "microvm"))
        .build();
    assertThat(args).containsExactly(
        "/usr/libexec/stockade/stockade-exec",
        "--cgroup", "/sys/fs/cgroup/memory/s1",
        "--cgroup-fork", "/sys/fs/cgroup/unified/s1",
        "--netns", "/run/netns/stk-s1",
        "--root", "/var/lib/stockade/jails/s1/root",
        "--jail-dir", "/var/lib/stockade/jails/s1",
        "--console-max", "1024",
        "--hostname", "s1",
        "--bind", "/usr", "/usr",
        "--bind-rw", "/srv/disk.img", "/disk.img",
        "--device", "net/tun:c:10:200:600:900001:900001",
        "--tmpfs-size", "4096",
        "--rlimit", "nofile=256",
        "--rlimit", "fsize=inf",
        "--uid", "900001", "--gid", "900001",
        "--userns",
        "--seccomp", "/var/lib/stockade/jails/s1/seccomp.bpf",
        "--cwd", "/run",
        "--env", "HOME=/run", "--env", "TERM=dumb",
        "--", "/usr/bin/qemu-system-x86_64", "qemu", "-M", "microvm");
  }

  @Test
  void minimalCommandLine() {
    assertThat(ExecStageCommandLine.builder(Path.of("/x/stage")).root(Path.of("/j/root")).jailDir(Path.of("/j"))
            .ids(5000, 5001).exec("/bin/true", List.of("true")).build())
        .containsExactly("/x/stage", "--root", "/j/root", "--jail-dir", "/j", "--uid", "5000", "--gid", "5001",
            "--", "/bin/true", "true");
  }

  @Test
  void refusesRootAndMissingParts() {
    ExecStageCommandLine.Builder b = ExecStageCommandLine.builder(Path.of("/x")).root(Path.of("/r")).jailDir(Path.of("/j"))
        .exec("/bin/true", List.of("true"));
    assertThatThrownBy(() -> b.ids(0, 0).build()).isInstanceOf(IllegalStateException.class).hasMessageContaining("root");
    assertThatThrownBy(() -> ExecStageCommandLine.builder(Path.of("/x")).ids(1, 1).build())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> b.ids(1000, 1000).exec("/bin/true", List.of()).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("argv");
  }
}
