/*
 * stockade-probe: a hostile workload for tests and `stockade-supervisor selftest`.
 *
 * Linked statically so that it runs in an empty jail. Each attempt runs in a forked child, so an
 * attempt that seccomp answers by killing the process is observed rather than fatal. One line per
 * attempt on stdout:   ATTEMPT errno NAME | killed SIGNAL | ok DETAIL | limit DETAIL
 *
 *   stockade-probe all OTHER_PID    every attempt (OTHER_PID: a host pid of another sandbox)
 *   stockade-probe ATTEMPT [ARG]    one attempt (widen_cpus: leave a cpuset by sched_setaffinity)
 *   stockade-probe sleep            pause until killed (for inspection from outside); exits
 *                                   with 115 on SIGTERM
 *   stockade-probe exit N           exit with status N
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <unistd.h>

static const char *other_pid = "999999";

/* Each attempt returns the errno it met, or 0 if the forbidden thing worked. */
static int read_host_file(void) { return open("/etc/shadow", O_RDONLY) < 0 ? errno : 0; }
static int write_outside_root(void) { return open("/../../stk-escape", O_WRONLY | O_CREAT, 0644) < 0 ? errno : 0; }
static int do_mount(void) { return mount("none", "/tmp", "tmpfs", 0, NULL) < 0 ? errno : 0; }
static int unshare_userns(void) { return unshare(CLONE_NEWUSER) < 0 ? errno : 0; }
static int do_ptrace(void) { return ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 ? errno : 0; }
static int init_module(void) { return syscall(SYS_init_module, NULL, 0, "") < 0 ? errno : 0; }
static int raw_socket(void) { return socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) < 0 ? errno : 0; }
static int netlink_socket(void) { return socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) < 0 ? errno : 0; }
static int signal_other(void) { return kill(atoi(other_pid), SIGKILL) < 0 ? errno : 0; }
static int setuid_root(void) { return setuid(0) < 0 ? errno : 0; }

/* Asks for every CPU it is not allowed on: a cpuset leaves none of them (the kernel intersects
 * the mask with the cpuset), so a pinned workload gets EINVAL. 0 means it moved onto another CPU,
 * as it could if it were pinned by its affinity alone (sched_setaffinity by its parent). */
static int widen_cpus(void) {
  cpu_set_t cur, want;
  if (sched_getaffinity(0, sizeof cur, &cur) < 0) return errno;
  CPU_ZERO(&want);
  for (int i = 0; i < CPU_SETSIZE; i++)
    if (!CPU_ISSET(i, &cur)) CPU_SET(i, &want);
  return sched_setaffinity(0, sizeof want, &want) < 0 ? errno : 0;
}

/* Forks until the kernel refuses; prints how many it got. */
static int fork_bomb(void) {
  static pid_t kids[100000];
  int n = 0, err = 0;
  for (; n < 100000; n++) {
    pid_t p = fork();
    if (p == 0) { pause(); _exit(0); }
    if (p < 0) { err = errno; break; }
    kids[n] = p;
  }
  printf("fork_bomb forks %d\n", n);
  for (int i = 0; i < n; i++) kill(kids[i], SIGKILL);
  for (int i = 0; i < n; i++) waitpid(kids[i], NULL, 0);
  return err;
}

/* Touches memory until something stops it; a memory cgroup stops it with SIGKILL. */
static int memory_hog(void) {
  for (int mib = 0; mib < 8192; mib++) {
    char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return errno;
    memset(p, 1, 1 << 20);
  }
  return 0;
}

static const struct { const char *name; int (*fn)(void); } attempts[] = {
    {"read_host_file", read_host_file}, {"write_outside_root", write_outside_root},
    {"mount", do_mount}, {"unshare_userns", unshare_userns}, {"ptrace", do_ptrace},
    {"init_module", init_module}, {"raw_socket", raw_socket}, {"netlink_socket", netlink_socket},
    {"signal_other", signal_other}, {"setuid_root", setuid_root}, {"fork_bomb", fork_bomb},
    {"memory_hog", memory_hog}, {"widen_cpus", widen_cpus},
};

static void run(int i) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    setpgid(0, 0);
    int err = attempts[i].fn();
    if (err) printf("%s errno %d %s\n", attempts[i].name, err, strerrorname_np(err));
    else printf("%s ok succeeded\n", attempts[i].name);
    fflush(stdout);
    _exit(0);
  }
  if (p < 0) { printf("%s probe-error fork %d\n", attempts[i].name, errno); return; }
  int st;
  while (waitpid(p, &st, 0) < 0 && errno == EINTR) {}
  if (WIFSIGNALED(st)) printf("%s killed %d %s\n", attempts[i].name, WTERMSIG(st), sigabbrev_np(WTERMSIG(st)));
  fflush(stdout);
}

static void on_term(int sig) {
  static const char msg[] = "terminated\n";
  if (write(1, msg, sizeof msg - 1) < 0) { /* nothing to do */ }
  _exit(100 + sig);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 2 && !strcmp(argv[1], "sleep")) {
    /* As pid 1 of its namespace it gets only the signals it handles (pid_namespaces(7)). */
    signal(SIGTERM, on_term);
    printf("sleeping\n");
    for (;;) pause();
  }
  if (argc >= 3 && !strcmp(argv[1], "exit")) return atoi(argv[2]);
  if (argc >= 2 && !strcmp(argv[1], "all")) {
    if (argc >= 3) other_pid = argv[2];
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) run((int)i);
    printf("done\n");
    return 0;
  }
  for (size_t i = 0; argc >= 2 && i < sizeof attempts / sizeof attempts[0]; i++)
    if (!strcmp(argv[1], attempts[i].name)) {
      if (argc >= 3) other_pid = argv[2];
      run((int)i);
      return 0;
    }
  fprintf(stderr, "usage: stockade-probe all OTHER_PID | ATTEMPT [ARG] | sleep | exit N\n");
  return 2;
}
