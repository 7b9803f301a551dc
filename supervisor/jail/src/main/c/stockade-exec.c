/*
 * stockade-exec: the native exec stage of a Stockade jail.
 *
 * Java (LinuxJailLauncher) prepares the jail directory, cgroups and the seccomp program, then
 * starts this program with ProcessBuilder. It applies the confinement in a fixed order and execs
 * the workload, so every property is in force before the workload's first instruction. Java
 * cannot do this itself: nothing runs between fork and exec in a JVM, and a multithreaded
 * process may not unshare a user namespace.
 *
 * Contract (flags; every flag that takes paths takes host paths unless it says "jail path"):
 *   --cgroup DIR          join DIR (write 0 to DIR/cgroup.procs); repeat per v1 hierarchy
 *   --cgroup-fork DIR     create the workload directly in the v2 cgroup DIR (clone3 with
 *                         CLONE_INTO_CGROUP); falls back to the workload joining DIR itself
 *   --netns PATH          setns(2) into the network namespace bound at PATH
 *   --root DIR            the jail root; becomes "/" of the workload (pivot_root)
 *   --jail-dir DIR        holds console.log(.1) and exit-status; kept open by the outer process
 *   --console-max BYTES   rotate console.log to console.log.1 when it reaches BYTES
 *   --hostname NAME       hostname in the new UTS namespace
 *   --bind SRC DST        bind SRC read-only at jail path DST (mount point exists in --root)
 *   --bind-rw SRC DST     bind SRC writable at jail path DST
 *   --device SPEC         create a node: JAILPATH:c|b:MAJOR:MINOR:MODE(octal):UID:GID
 *   --tmpfs-size BYTES    size of the jail's /tmp (tmpfs, mode 1777)
 *   --rlimit NAME=VALUE   nofile, fsize, core, nproc (VALUE "inf" = unlimited)
 *   --uid N --gid N       ids the workload runs as (no supplementary groups)
 *   --userns              run in a new user namespace that maps only N->N (uid and gid),
 *                         entered after dropping to N, so it grants nothing on the host
 *   --seccomp FILE        classic BPF program (struct sock_filter[]) loaded last before exec
 *   --cwd DIR             working directory (jail path)
 *   --env K=V             one entry of the workload's environment (nothing is inherited)
 *   -- EXE ARGV0 ARGS...  jail path of the program, then its argv
 *
 * Status protocol: fd 1 at start is the status pipe to Java. It is moved to fd 3 close-on-exec.
 * The stage writes "child PID\n" once the workload process exists, and on failure exactly one
 * line "fail STEP ERRNO DETAIL\n". EOF without a fail line means execve succeeded.
 *
 * Processes: the outer process (the pid Java tracks) joins cgroups and namespaces, forks the
 * workload as pid 1 of a new pid namespace, relays its stdout/stderr into console.log, forwards
 * TERM/INT/HUP/QUIT/USR1/USR2, and exits with the workload's status (128+signal if killed). The
 * workload dies with it (PR_SET_PDEATHSIG; the outer is single-threaded, so the signal is tied
 * to the process, unlike in a JVM where it follows the forking thread).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#define STATUS_FD 3
#define MAX_ITEMS 64

struct bind { const char *src, *dst; int writable; };
struct rlim { int resource; rlim_t value; };

struct opts {
  const char *cgroups[8]; int ncgroups;
  const char *cgroup_fork;
  const char *netns, *root, *jail_dir, *hostname, *seccomp_file, *cwd;
  long long console_max, tmpfs_size;
  struct bind binds[MAX_ITEMS]; int nbinds;
  const char *devices[MAX_ITEMS]; int ndevices;
  struct rlim rlimits[8]; int nrlimits;
  uid_t uid; gid_t gid; int have_uid, have_gid, userns;
  char *env[MAX_ITEMS * 4 + 1]; int nenv;
  char **argv; /* argv[0] is EXE, argv[1..] the workload's argv */
  struct sock_fprog filter;
};

static int jail_dir_fd = -1, console_fd = -1, alive_fd = -1;
static volatile pid_t child_pid = 0;

/* One line to Java: the step as written, the errno, the path it concerned. */
static int fail(const char *step, int err, const char *fmt, ...) {
  char buf[1024];
  int n = snprintf(buf, sizeof buf, "fail %s %d ", step, err);
  va_list ap;
  va_start(ap, fmt);
  n += vsnprintf(buf + n, sizeof buf - n - 2, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof buf - 2) n = sizeof buf - 2;
  buf[n++] = '\n';
  if (write(STATUS_FD, buf, n) < 0) { /* Java is gone; nothing else can be told */ }
  return -1;
}

#define TRY(step, call, ...) do { if ((call) < 0) return fail(step, errno, __VA_ARGS__); } while (0)

static int join_cgroups(const struct opts *o) {
  for (int i = 0; i < o->ncgroups; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/cgroup.procs", o->cgroups[i]);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    TRY("join_cgroup", fd, "%s", path);
    if (write(fd, "0", 1) != 1) { int e = errno; close(fd); return fail("join_cgroup", e, "%s", path); }
    close(fd);
  }
  return 0;
}

static int enter_netns(const struct opts *o) {
  if (!o->netns) return 0;
  int fd = open(o->netns, O_RDONLY | O_CLOEXEC);
  TRY("setns_net", fd, "%s", o->netns);
  if (setns(fd, CLONE_NEWNET) < 0) { int e = errno; close(fd); return fail("setns_net", e, "%s", o->netns); }
  close(fd);
  return 0;
}

static int unshare_namespaces(const struct opts *o) {
  (void)o;
  TRY("unshare", unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS), "mnt|pid|ipc|uts");
  return 0;
}

/* The outer process keeps the jail directory open: the workload's pivot_root takes it out of
 * every path, but console rotation and the exit-status file still need it. */
static int open_jail_dir(const struct opts *o) {
  jail_dir_fd = open(o->jail_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  TRY("open_jail_dir", jail_dir_fd, "%s", o->jail_dir);
  console_fd = openat(jail_dir_fd, "console.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  TRY("open_console", console_fd, "%s/console.log", o->jail_dir);
  return 0;
}

static int make_mounts_private(const struct opts *o) {
  (void)o;
  /* Without this, mounts below would propagate back into the host's namespace. */
  TRY("make_private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "/");
  return 0;
}

static int bind_root(const struct opts *o) {
  /* pivot_root needs new_root to be a mount point: bind the jail root onto itself. */
  TRY("bind_root", mount(o->root, o->root, NULL, MS_BIND | MS_NOSUID, NULL), "%s", o->root);
  return 0;
}

static void jail_path(char *out, size_t n, const struct opts *o, const char *p) {
  snprintf(out, n, "%s%s", o->root, p);
}

static int mount_proc(const struct opts *o) {
  char p[4096];
  jail_path(p, sizeof p, o, "/proc");
  /* A fresh proc for the new pid namespace: the workload sees only its own processes. */
  TRY("mount_proc", mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), "%s", p);
  return 0;
}

static int mkdir_parents(char *path) {
  for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
    *s = 0;
    int r = mkdir(path, 0755);
    *s = '/';
    if (r < 0 && errno != EEXIST) return -1;
  }
  return 0;
}

static int make_device(const struct opts *o, const char *spec) {
  char jp[512], type; unsigned maj, min, mode; unsigned long u, g;
  if (sscanf(spec, "%511[^:]:%c:%u:%u:%o:%lu:%lu", jp, &type, &maj, &min, &mode, &u, &g) != 7 ||
      (type != 'c' && type != 'b'))
    return fail("parse_device", EINVAL, "%s", spec);
  char p[4096];
  snprintf(p, sizeof p, "%s/dev/%s", o->root, jp);
  TRY("mknod", mkdir_parents(p), "%s", p);
  TRY("mknod", mknod(p, (type == 'c' ? S_IFCHR : S_IFBLK) | (mode & 07777), makedev(maj, min)), "%s", p);
  TRY("chown_device", chown(p, (uid_t)u, (gid_t)g), "%s", p);
  TRY("chmod_device", chmod(p, mode & 07777), "%s", p); /* mknod applies the umask */
  return 0;
}

static int build_dev(const struct opts *o) {
  char p[4096];
  jail_path(p, sizeof p, o, "/dev");
  /* A tmpfs /dev with only the requested nodes: nothing of the host's /dev is reachable. */
  TRY("mount_dev", mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=65536"), "%s", p);
  static const char *links[][2] = {{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
                                   {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}};
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
    char l[4096];
    snprintf(l, sizeof l, "%s/dev/%s", o->root, links[i][1]);
    TRY("symlink_dev", symlink(links[i][0], l), "%s", l);
  }
  for (int i = 0; i < o->ndevices; i++)
    if (make_device(o, o->devices[i]) < 0) return -1;
  return 0;
}

static int mount_tmp(const struct opts *o) {
  char p[4096], data[64];
  jail_path(p, sizeof p, o, "/tmp");
  snprintf(data, sizeof data, "mode=1777,size=%lld", o->tmpfs_size > 0 ? o->tmpfs_size : 64LL << 20);
  TRY("mount_tmp", mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, data), "%s", p);
  return 0;
}

static int bind_mounts(const struct opts *o) {
  for (int i = 0; i < o->nbinds; i++) {
    const struct bind *b = &o->binds[i];
    char p[4096];
    jail_path(p, sizeof p, o, b->dst);
    TRY("bind_mount", mount(b->src, p, NULL, MS_BIND | MS_REC, NULL), "%s -> %s", b->src, p);
    /* Bind ignores flags: a second remount applies them (mount(2), "MS_REMOUNT | MS_BIND"). */
    unsigned long fl = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (b->writable ? 0 : MS_RDONLY);
    TRY("remount_bind", mount(NULL, p, NULL, fl, NULL), "%s", p);
  }
  return 0;
}

static int pivot_into_root(const struct opts *o) {
  TRY("chdir_root", chdir(o->root), "%s", o->root);
  /* pivot_root(".", ".") stacks the old root on "/"; detaching it leaves only the jail. It needs
   * no directory for the old root, so the jail root can stay read-only. */
  TRY("pivot_root", syscall(SYS_pivot_root, ".", "."), "%s", o->root);
  TRY("umount_old_root", umount2(".", MNT_DETACH), "%s", o->root);
  TRY("chdir_root", chdir("/"), "/");
  return 0;
}

static int remount_root_readonly(const struct opts *o) {
  (void)o;
  TRY("remount_root_ro", mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL), "/");
  return 0;
}

static int set_hostname(const struct opts *o) {
  if (!o->hostname) return 0;
  TRY("sethostname", sethostname(o->hostname, strlen(o->hostname)), "%s", o->hostname);
  return 0;
}

static int set_rlimits(const struct opts *o) {
  for (int i = 0; i < o->nrlimits; i++) {
    struct rlimit r = {o->rlimits[i].value, o->rlimits[i].value};
    TRY("setrlimit", setrlimit(o->rlimits[i].resource, &r), "resource %d", o->rlimits[i].resource);
  }
  return 0;
}

static int write_proc_self(const char *file, const char *text) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/%s", file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  TRY("write_id_map", fd, "%s", path);
  ssize_t n = write(fd, text, strlen(text));
  int e = errno;
  close(fd);
  if (n != (ssize_t)strlen(text)) return fail("write_id_map", e, "%s", path);
  return 0;
}

static int drop_bounding_set(const struct opts *o);

/* Runs after set_ids: an unprivileged process may create a user namespace and map exactly its
 * own uid and gid into it, once setgroups is denied (user_namespaces(7), "Defining user and
 * group ID mappings"). A map written from inside the new namespace is bound to the namespace
 * the opener was in, so nothing is opened early. */
static int enter_user_ns(const struct opts *o) {
  if (!o->userns) return 0;
  char map[64];
  /* setuid made us non-dumpable, which hands /proc/self to root; make it ours again. execve of
   * the workload resets this flag anyway. */
  TRY("set_dumpable", prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "1");
  TRY("unshare_user", unshare(CLONE_NEWUSER), "user");
  if (write_proc_self("setgroups", "deny")) return -1;
  snprintf(map, sizeof map, "%u %u 1\n", (unsigned)o->uid, (unsigned)o->uid);
  if (write_proc_self("uid_map", map)) return -1;
  snprintf(map, sizeof map, "%u %u 1\n", (unsigned)o->gid, (unsigned)o->gid);
  if (write_proc_self("gid_map", map)) return -1;
  /* A new user namespace starts with a full bounding set: drop it again. */
  return drop_bounding_set(o);
}

static int last_cap(void) {
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  char b[16] = {0};
  if (fd >= 0) { if (read(fd, b, sizeof b - 1) < 0) b[0] = 0; close(fd); }
  int n = atoi(b);
  return n > 0 ? n : 63;
}

/* Bounding and ambient sets first: dropping them needs CAP_SETPCAP, which setuid takes away. */
static int drop_bounding_set(const struct opts *o) {
  (void)o;
  for (int c = 0; c <= last_cap(); c++)
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) return fail("capbset_drop", errno, "cap %d", c);
  TRY("ambient_clear", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "ambient");
  return 0;
}

static int set_ids(const struct opts *o) {
  TRY("setgroups", setgroups(0, NULL), "[]");
  TRY("setgid", setresgid(o->gid, o->gid, o->gid), "%u", (unsigned)o->gid);
  TRY("setuid", setresuid(o->uid, o->uid, o->uid), "%u", (unsigned)o->uid);
  return 0;
}

static int set_caps(unsigned long long keep) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  d[0].effective = d[0].permitted = (unsigned)keep;
  d[1].effective = d[1].permitted = (unsigned)(keep >> 32);
  return (int)syscall(SYS_capset, &h, d);
}

static int drop_capabilities(const struct opts *o) {
  (void)o;
  TRY("capset", set_caps(0), "effective|permitted|inheritable = 0");
  return 0;
}

static int set_no_new_privs(const struct opts *o) {
  (void)o;
  TRY("no_new_privs", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "1");
  return 0;
}

/* Credential changes clear the parent-death signal (prctl(2)), so it is armed again after
 * setuid; the alive pipe closes if the outer process died before it was armed. */
static int arm_parent_death(const struct opts *o) {
  (void)o;
  TRY("pdeathsig", prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "SIGKILL");
  struct pollfd p = {alive_fd, POLLIN, 0};
  if (poll(&p, 1, 0) > 0) return fail("pdeathsig", ESRCH, "outer process exited");
  return 0;
}

static int change_dir(const struct opts *o) {
  const char *d = o->cwd ? o->cwd : "/";
  TRY("chdir", chdir(d), "%s", d);
  return 0;
}

static int close_fds(const struct opts *o) {
  (void)o;
  /* fds 0-2 are the workload's stdio, 3 the status pipe (close-on-exec); nothing else may leak. */
  if (syscall(SYS_close_range, STATUS_FD + 1, ~0U, 0) == 0) return 0;
  struct rlimit r;
  long max = getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur != RLIM_INFINITY ? (long)r.rlim_cur : 65536;
  for (long fd = STATUS_FD + 1; fd < max; fd++) close((int)fd);
  return 0;
}

static int load_seccomp(const struct opts *o) {
  if (!o->filter.len) return 0;
  TRY("seccomp", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &o->filter), "%s", o->seccomp_file);
  return 0;
}

static int exec_workload(const struct opts *o) {
  execve(o->argv[0], o->argv + 1, (char *const *)o->env);
  return fail("execve", errno, "%s", o->argv[0]);
}

/* Joining a cgroup by writing cgroup.procs takes the cgroup_threadgroup_rwsem for writing,
 * which waits for an RCU grace period (10-20 ms on a busy 2-CPU host); a child created with
 * CLONE_INTO_CGROUP is born in its cgroup and skips that (clone(2), Linux 5.7). */
struct stk_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
#define STK_CLONE_INTO_CGROUP 0x200000000ULL

static int joined_fork_cgroup = 0;

static pid_t fork_workload(const struct opts *o) {
  if (o->cgroup_fork) {
    int cg = open(o->cgroup_fork, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg < 0) return fail("open_cgroup", errno, "%s", o->cgroup_fork), -1;
    struct stk_clone_args a;
    memset(&a, 0, sizeof a);
    a.flags = STK_CLONE_INTO_CGROUP;
    a.exit_signal = SIGCHLD;
    a.cgroup = (uint64_t)cg;
    pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof a);
    int e = errno;
    if (pid == 0) { joined_fork_cgroup = 1; return 0; }
    close(cg);
    if (pid > 0) { joined_fork_cgroup = 1; return pid; }
    if (e != ENOSYS && e != E2BIG && e != EINVAL) return fail("clone_into_cgroup", e, "%s", o->cgroup_fork), -1;
  }
  pid_t pid = fork();
  if (pid < 0) fail("fork", errno, "workload");
  return pid;
}

/* Fallback where clone3 cannot place the child: it joins the cgroup itself. */
static int join_fork_cgroup(const struct opts *o) {
  if (!o->cgroup_fork || joined_fork_cgroup) return 0;
  char path[4096];
  snprintf(path, sizeof path, "%s/cgroup.procs", o->cgroup_fork);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  TRY("join_cgroup", fd, "%s", path);
  if (write(fd, "0", 1) != 1) { int e = errno; close(fd); return fail("join_cgroup", e, "%s", path); }
  close(fd);
  return 0;
}

/* ---- the outer process ---- */

static void forward_signal(int sig) {
  if (child_pid > 0) kill(child_pid, sig);
}

static void rotate_console(void) {
  close(console_fd);
  renameat(jail_dir_fd, "console.log", jail_dir_fd, "console.log.1");
  console_fd = openat(jail_dir_fd, "console.log", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
}

static void relay_console(int in, long long max) {
  char buf[16384];
  struct stat st;
  long long size = fstat(console_fd, &st) == 0 ? st.st_size : 0;
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n == 0) return;
    if (n < 0) { if (errno == EINTR) continue; return; }
    if (max > 0 && size + n > max) { rotate_console(); size = 0; }
    if (console_fd >= 0 && write(console_fd, buf, n) == n) size += n;
  }
}

static void write_exit_status(int status) {
  char b[16];
  int n = snprintf(b, sizeof b, "%d\n", status);
  int fd = openat(jail_dir_fd, "exit-status.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (write(fd, b, n) == n && fsync(fd) == 0) renameat(jail_dir_fd, "exit-status.tmp", jail_dir_fd, "exit-status");
  close(fd);
}

static int outer_wait(int console_in, long long console_max) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  sa.sa_flags = SA_RESTART;
  int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
  /* The outer keeps only CAP_KILL (to signal the workload, which runs as another uid). */
  for (int c = 0; c <= last_cap(); c++) if (c != CAP_KILL) prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
  set_caps(1ULL << CAP_KILL);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  relay_console(console_in, console_max);
  int st;
  while (waitpid(child_pid, &st, 0) < 0 && errno == EINTR) {}
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  write_exit_status(code);
  return code;
}

static int workload(const struct opts *o, int console_out) {
  if (join_fork_cgroup(o) || arm_parent_death(o) || make_mounts_private(o) || bind_root(o) || mount_proc(o) || build_dev(o) ||
      mount_tmp(o) || bind_mounts(o) || pivot_into_root(o) || remount_root_readonly(o) ||
      set_hostname(o) || set_rlimits(o) || drop_bounding_set(o) || set_ids(o) || enter_user_ns(o) ||
      drop_capabilities(o))
    return 127;
  /* ---- privileges are gone from here on ---- */
  if (set_no_new_privs(o) || arm_parent_death(o) || change_dir(o)) return 127;
  if (dup2(console_out, 1) < 0 || dup2(console_out, 2) < 0) { fail("dup_console", errno, "stdout/stderr"); return 127; }
  if (close_fds(o) || load_seccomp(o) || exec_workload(o)) return 127;
  return 127;
}

/* ---- argument parsing ---- */

static int parse_rlimit(struct opts *o, const char *a) {
  static const struct { const char *name; int res; } names[] = {
      {"nofile", RLIMIT_NOFILE}, {"fsize", RLIMIT_FSIZE}, {"core", RLIMIT_CORE}, {"nproc", RLIMIT_NPROC}};
  const char *eq = strchr(a, '=');
  if (!eq || o->nrlimits == 8) return -1;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strlen(names[i].name) == (size_t)(eq - a) && !strncmp(a, names[i].name, eq - a)) {
      o->rlimits[o->nrlimits].resource = names[i].res;
      o->rlimits[o->nrlimits++].value = strcmp(eq + 1, "inf") ? strtoull(eq + 1, NULL, 10) : RLIM_INFINITY;
      return 0;
    }
  return -1;
}

static int read_filter(struct opts *o) {
  int fd = open(o->seccomp_file, O_RDONLY | O_CLOEXEC);
  TRY("read_seccomp", fd, "%s", o->seccomp_file);
  struct stat st;
  if (fstat(fd, &st) < 0 || st.st_size == 0 || st.st_size % sizeof(struct sock_filter) || st.st_size > 1 << 20) {
    close(fd);
    return fail("read_seccomp", EINVAL, "%s: not a BPF program", o->seccomp_file);
  }
  struct sock_filter *f = malloc(st.st_size);
  if (!f || read(fd, f, st.st_size) != st.st_size) { close(fd); return fail("read_seccomp", EIO, "%s", o->seccomp_file); }
  close(fd);
  o->filter.len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
  o->filter.filter = f;
  return 0;
}

#define NEED(n) do { if (i + (n) >= argc) return fail("usage", EINVAL, "%s needs %d value(s)", a, n); } while (0)

static int parse(struct opts *o, int argc, char **argv) {
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--")) { i++; break; }
    else if (!strcmp(a, "--userns")) o->userns = 1;
    else if (!strcmp(a, "--cgroup")) { NEED(1); if (o->ncgroups == 8) return fail("usage", E2BIG, "--cgroup"); o->cgroups[o->ncgroups++] = argv[++i]; }
    else if (!strcmp(a, "--cgroup-fork")) { NEED(1); o->cgroup_fork = argv[++i]; }
    else if (!strcmp(a, "--netns")) { NEED(1); o->netns = argv[++i]; }
    else if (!strcmp(a, "--root")) { NEED(1); o->root = argv[++i]; }
    else if (!strcmp(a, "--jail-dir")) { NEED(1); o->jail_dir = argv[++i]; }
    else if (!strcmp(a, "--console-max")) { NEED(1); o->console_max = atoll(argv[++i]); }
    else if (!strcmp(a, "--hostname")) { NEED(1); o->hostname = argv[++i]; }
    else if (!strcmp(a, "--bind") || !strcmp(a, "--bind-rw")) {
      NEED(2);
      if (o->nbinds == MAX_ITEMS) return fail("usage", E2BIG, "%s", a);
      o->binds[o->nbinds++] = (struct bind){argv[i + 1], argv[i + 2], !strcmp(a, "--bind-rw")};
      i += 2;
    }
    else if (!strcmp(a, "--device")) { NEED(1); if (o->ndevices == MAX_ITEMS) return fail("usage", E2BIG, "%s", a); o->devices[o->ndevices++] = argv[++i]; }
    else if (!strcmp(a, "--tmpfs-size")) { NEED(1); o->tmpfs_size = atoll(argv[++i]); }
    else if (!strcmp(a, "--rlimit")) { NEED(1); if (parse_rlimit(o, argv[++i])) return fail("usage", EINVAL, "--rlimit %s", argv[i]); }
    else if (!strcmp(a, "--uid")) { NEED(1); o->uid = (uid_t)strtoul(argv[++i], NULL, 10); o->have_uid = 1; }
    else if (!strcmp(a, "--gid")) { NEED(1); o->gid = (gid_t)strtoul(argv[++i], NULL, 10); o->have_gid = 1; }
    else if (!strcmp(a, "--seccomp")) { NEED(1); o->seccomp_file = argv[++i]; }
    else if (!strcmp(a, "--cwd")) { NEED(1); o->cwd = argv[++i]; }
    else if (!strcmp(a, "--env")) { NEED(1); if (o->nenv == MAX_ITEMS * 4) return fail("usage", E2BIG, "--env"); o->env[o->nenv++] = argv[++i]; }
    else return fail("usage", EINVAL, "unknown flag %s", a);
  }
  if (i + 1 >= argc) return fail("usage", EINVAL, "missing -- EXE ARGV0");
  if (!o->root || !o->jail_dir || !o->have_uid || !o->have_gid)
    return fail("usage", EINVAL, "--root, --jail-dir, --uid and --gid are required");
  /* Never run a workload as root: that would defeat every other step. */
  if (o->uid == 0 || o->gid == 0) return fail("usage", EPERM, "uid/gid 0 refused");
  o->env[o->nenv] = NULL;
  o->argv = argv + i;
  return o->seccomp_file ? read_filter(o) : 0;
}

int main(int argc, char **argv) {
  /* The status pipe arrives as stdout; park it on fd 3, close-on-exec, and silence fd 1. */
  if (dup3(1, STATUS_FD, O_CLOEXEC) < 0) return 125;
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devnull < 0 || dup2(devnull, 1) < 0) return fail("open_devnull", errno, "/dev/null"), 125;
  close(devnull);

  static struct opts o;
  if (parse(&o, argc, argv) || open_jail_dir(&o) || join_cgroups(&o) || enter_netns(&o) || unshare_namespaces(&o))
    return 125;

  int console[2], alive[2];
  if (pipe2(console, O_CLOEXEC) < 0 || pipe2(alive, O_CLOEXEC) < 0) return fail("pipe", errno, "console"), 125;
  pid_t pid = fork_workload(&o);
  if (pid < 0) return 125;
  if (pid == 0) {
    close(console[0]);
    close(alive[1]);
    alive_fd = alive[0];
    _exit(workload(&o, console[1]));
  }
  child_pid = pid;
  close(console[1]);
  close(alive[0]); /* alive[1] stays open (close-on-exec) for as long as this process lives */
  char line[32];
  int n = snprintf(line, sizeof line, "child %d\n", (int)pid);
  if (write(STATUS_FD, line, n) < 0) { /* Java stopped listening; the workload still runs */ }
  close(STATUS_FD); /* from now on only the workload holds the pipe: its exec means EOF */
  return outer_wait(console[0], o.console_max);
}
