#!/usr/bin/env bash
# Quick start: build Stockade, start a supervisor with a throwaway configuration, and, as a
# throwaway unprivileged user through the `stockade` CLI:
#   1. run a jailed process sandbox (`echo hello; id`),
#   2. boot a QEMU microVM from the default image (scripts/build-image builds it if missing),
#      run `uname -a` in the guest and let it try two destinations: the port its egress rule
#      allows answers, the other one is refused by the sandbox's firewall,
#   3. stop the guest gracefully (ACPI power button: the guest prints its power-off), destroy it.
# The sandbox network's "host" side is a network namespace this script creates (and a second one
# plays "the internet", serving banners on two ports): the machine's own nftables, routes and
# sysctls are never touched. Run as root after scripts/setup-debian.sh. Everything it creates
# (user, namespaces, temp directory, the supervisor and its VMs) is removed on exit, also on
# failure or Ctrl-C; it exits non-zero when a step fails. The checkout must be readable by other
# users (the demo user runs scripts/stockade from it).
#
# Environment: QUICKSTART_SKIP_BUILD=1 skips the Maven build (the jars must exist).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "quickstart.sh: run as root (it creates a demo user, network namespaces and starts the supervisor)" >&2
  exit 1
fi
for tool in mvn java ip nft socat runuser useradd setsid timeout qemu-system-x86_64; do
  command -v "$tool" >/dev/null || { echo "quickstart.sh: '$tool' is missing: run scripts/setup-debian.sh first" >&2; exit 1; }
done

started=$(date +%s)
step() { printf '\n==> [%3ss] %s\n' "$(($(date +%s) - started))" "$*"; }
note() { printf '    %s\n' "$*"; }
fail() { echo "quickstart.sh: FAILED: $*" >&2; exit 1; }

if [ "${QUICKSTART_SKIP_BUILD:-0}" != 1 ]; then
  step "building (mvn -q -B -DskipTests package)"
  # -q still prints bare colour resets; strip them (pipefail keeps mvn's status).
  mvn -q -B -DskipTests package 2>&1 | sed -u 's/\x1b\[0m//g'
fi
[ -f supervisor/daemon/target/stockade-supervisor.jar ] && [ -f client/target/stockade-cli.jar ] \
  || fail "the jars are missing: run 'mvn -B -DskipTests package'"
image_dir=$repo/out/images/default
if [ ! -f "$image_dir/catalog.json" ]; then
  step "building the default guest image (scripts/build-image: Debian's cloud kernel + busybox initramfs)"
  timeout 600 scripts/build-image || fail "scripts/build-image failed (see above)"
fi

rand=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
work=$(mktemp -d /tmp/stk-de-quickstart.XXXXXX)
chmod 0755 "$work"
user="stk-de-$rand"
host_ns="stk-de-h$rand"       # plays the host for the sandbox networks (network.hostNetns)
inet_ns="stk-de-i$rand"       # plays the internet: banner servers on ports 8080 and 8081
net_prefix="stk-de${rand:0:3}" # names of the daemon's namespaces and links: ours alone
net_table="stk-de-$rand"      # the daemon's nftables table (inside $host_ns)
server=198.51.100.2
uid_first=$((3900000 + (0x${rand:0:3} % 1000) * 256)) # workload uids: a range of this run's own
supervisor_pid=""
vmm_pids=""

# Descendants of the supervisor (VMMs, jails), so the trap can reap them by pid even after a crash.
remember_descendants() {
  local p kids todo=$supervisor_pid
  while [ -n "$todo" ]; do
    set -- $todo
    p=$1; shift; todo="$*"
    kids=$(pgrep -P "$p" || true)
    for k in $kids; do
      case " $vmm_pids " in *" $k "*) ;; *) vmm_pids="$vmm_pids $k" ;; esac
      todo="$todo $k"
    done
  done
}

cleanup() {
  status=$?
  trap - EXIT INT TERM
  set +e # every cleanup step runs, whatever the one before it did
  if [ -n "$supervisor_pid" ] && kill -0 "$supervisor_pid" 2>/dev/null; then
    remember_descendants
    step "stopping the supervisor (SIGTERM: it stops every sandbox, removes its network slots, exits)"
    kill -TERM "$supervisor_pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$supervisor_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$supervisor_pid" 2>/dev/null; then
      echo "quickstart.sh: the supervisor did not exit within 30 s of SIGTERM: killing it" >&2
      kill -KILL "$supervisor_pid" 2>/dev/null || true
      status=1
    fi
    wait "$supervisor_pid" 2>/dev/null
    note "supervisor exited with status $?"
  fi
  for p in $vmm_pids; do
    if kill -0 "$p" 2>/dev/null; then
      echo "quickstart.sh: killing leftover process $p ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-80))" >&2
      kill -KILL "$p" 2>/dev/null || true
    fi
  done
  # Whatever still runs in our namespaces (socat servers and their children), then the namespaces:
  # the demo's own and any the supervisor left under its private prefix.
  for ns in "$inet_ns" "$host_ns" $(ip netns list 2>/dev/null | awk -v p="$net_prefix-" 'index($1, p) == 1 {print $1}'); do
    [ -e "/run/netns/$ns" ] || continue
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    case $ns in "$net_prefix"-*) echo "quickstart.sh: removing namespace $ns the supervisor left" >&2 ;; esac
    ip netns del "$ns" 2>/dev/null || true
  done
  if id "$user" >/dev/null 2>&1; then
    userdel "$user" 2>/dev/null || true
  fi
  if getent group "$user" >/dev/null 2>&1; then
    groupdel "$user" 2>/dev/null || true
  fi
  rm -rf "/tmp/hsperfdata_$user"
  if [ "$status" -ne 0 ] && [ -f "$work/supervisor.log" ]; then
    echo "--- last 40 lines of the supervisor log ---" >&2
    tail -n 40 "$work/supervisor.log" >&2
  fi
  if ! rm -rf "$work" 2>/dev/null; then
    echo "quickstart.sh: could not remove $work (something is still mounted there?)" >&2
  fi
  if [ "$status" -eq 0 ]; then
    step "done in $(($(date +%s) - started)) s: supervisor stopped; user, namespaces and files removed"
  else
    echo "quickstart.sh: failed (status $status); everything it created has been removed" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "creating the throwaway user $user (no home, no login shell)"
useradd -r -U -M -s /usr/sbin/nologin "$user"

step "creating two network namespaces: $host_ns (the sandboxes' host side) and $inet_ns (a stand-in internet)"
in_host() { ip netns exec "$host_ns" "$@"; }
in_inet() { ip netns exec "$inet_ns" "$@"; }
ip netns add "$host_ns"
ip netns add "$inet_ns"
in_host ip link set lo up
in_inet ip link set lo up
in_host ip link add deup type veth peer name dein netns "$inet_ns"
in_host ip addr add 198.51.100.1/24 dev deup
in_host ip link set deup up
in_host ip route add default via "$server"
in_host sysctl -qw net.ipv4.ip_forward=1 # this namespace's own forwarding, not the machine's
in_inet ip addr add "$server/24" dev dein
in_inet ip link set dein up
in_inet ip route add 10.232.0.0/16 via 198.51.100.1
in_inet socat TCP-LISTEN:8080,bind=$server,fork,reuseaddr 'SYSTEM:echo banner from port 8080 of the stand-in internet' >/dev/null 2>&1 &
in_inet socat TCP-LISTEN:8081,bind=$server,fork,reuseaddr 'SYSTEM:echo banner from port 8081 of the stand-in internet' >/dev/null 2>&1 &
for port in 8080 8081; do
  ok=0
  for _ in $(seq 1 50); do
    if in_host timeout 3 socat -T 2 - "TCP:$server:$port,connect-timeout=2" </dev/null 2>/dev/null | grep -q banner; then
      ok=1; break
    fi
    sleep 0.1
  done
  [ "$ok" = 1 ] || fail "the stand-in internet does not answer on $server:$port from $host_ns"
done
note "$server:8080 and $server:8081 both answer from $host_ns: whatever stops the guest is Stockade's firewall"

step "writing a temporary configuration and a policy for $user"
install -d -m 0755 "$work/policy" "$work/run"
cat > "$work/policy/demo.json" <<JSON
{
  "version": 1,
  "description": "quickstart: the demo user may run /bin/sh in process sandboxes and boot the default image, egress only to $server tcp 8080",
  "rules": [
    {
      "users": ["$user"],
      "grant": {
        "kinds": ["process", "qemu"], "images": ["stockade-default"], "commands": ["/bin/sh"],
        "maxSandboxes": 2, "maxVcpus": 1, "maxMemoryMiB": 256,
        "egress": [{"cidr": "$server/32", "protocol": "tcp", "ports": "8080"}]
      }
    }
  ]
}
JSON
chmod 0644 "$work/policy/demo.json"
cat > "$work/stockade.json" <<JSON
{
  "stateDir": "$work/state",
  "sandboxesDir": "$work/sandboxes",
  "snapshotsDir": "$work/snapshots",
  "imageDir": "$work/images",
  "jailsDir": "$work/jails",
  "runDir": "$work/run",
  "socketPath": "$work/run/stockade.sock",
  "socketGroup": "$user",
  "policyDir": "$work/policy",
  "catalogFiles": ["$image_dir/catalog.json"],
  "defaults": {"readyTimeoutSeconds": 90},
  "stop": {"gracefulSeconds": 20, "termSeconds": 3, "drainSeconds": 20},
  "uidRange": {"first": $uid_first, "count": 256},
  "network": {
    "hostNetns": "/run/netns/$host_ns",
    "namePrefix": "$net_prefix",
    "hostTable": "$net_table",
    "addressPool": "10.232.0.0/16",
    "uplink": "deup"
  }
}
JSON
note "network.hostNetns=/run/netns/$host_ns, namePrefix=$net_prefix, hostTable=$net_table"
socket="$work/run/stockade.sock"

step "starting the supervisor (log: $work/supervisor.log)"
# A session of its own: a Ctrl-C at this terminal reaches the script (whose trap drains the
# supervisor with SIGTERM), not the supervisor and its VMMs directly (QEMU exits on SIGINT).
setsid "$repo/scripts/stockade-supervisor" run --config "$work/stockade.json" >"$work/supervisor.log" 2>&1 </dev/null &
supervisor_pid=$!
for _ in $(seq 1 600); do
  [ -S "$socket" ] && break
  kill -0 "$supervisor_pid" 2>/dev/null || fail "the supervisor exited early"
  sleep 0.1
done
[ -S "$socket" ] || fail "no socket at $socket after 60 s"
note "serving on $socket (pid $supervisor_pid)"

# Every CLI call as the demo user, bounded: a hung call fails the demo instead of hanging it.
as_user() {
  printf '$ stockade%s\n' "$(printf ' %q' "$@")"
  local rc=0
  { timeout --foreground 180 runuser -u "$user" -- env STOCKADE_SOCKET="$socket" STOCKADE_JAVA_OPTS="-XX:-UsePerfData" \
    "$repo/scripts/stockade" "$@" 2>&1 | sed 's/^/    /'; } || rc=$?
  [ "$rc" -eq 0 ] || fail "'stockade $*' exited with status $rc"
}
as_user_quiet() {
  timeout --foreground 60 runuser -u "$user" -- env STOCKADE_SOCKET="$socket" STOCKADE_JAVA_OPTS="-XX:-UsePerfData" \
    "$repo/scripts/stockade" "$@"
}
# Polls the console until it shows $2 (or $3 seconds pass).
await_console() {
  local deadline=$(($(date +%s) + $3))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if as_user_quiet logs "$1" 2>/dev/null | grep -q -- "$2"; then return 0; fi
    remember_descendants
    sleep 1
  done
  fail "the console of $1 did not show '$2' within $3 s"
}

step "1/3 as $user: a process sandbox (a jailed /bin/sh, its own uid, no network)"
as_user create --kind process --name hello -- /bin/sh -c 'echo hello from a jailed process; id'
as_user start hello
await_console hello "uid=" 10
as_user logs hello
as_user destroy hello

step "2/3 as $user: a QEMU microVM booted from the default image, egress allowed only to $server:8080"
guest_cmd='uname -a; echo hello from the guest
probe() { echo "guest: connecting to $1:$2"; sleep 1 | nc -w 5 "$1" "$2" || echo "guest: no answer from $1:$2 (exit $?)"; }
probe '"$server"' 8080
probe '"$server"' 8081
echo STOCKADE-DEMO-DONE; exec sleep 100000'
as_user create --kind qemu --name vm --image stockade-default --memory 256 \
  --egress "$server/32:tcp:8080" -- /bin/sh -c "$guest_cmd"
note "start returns once the guest printed its readiness line (STOCKADE-READY); TCG boots take 3-20 s"
as_user start vm
remember_descendants
await_console vm STOCKADE-DEMO-DONE 60
as_user get vm
note "the guest's console (its init's readiness line, then the command's output):"
as_user logs vm
note "from $host_ns both ports answered; in the guest only 8080 did: the sandbox's firewall refused 8081"
logs=$(as_user_quiet logs vm)
grep -q "banner from port 8080" <<<"$logs" || fail "the guest did not reach the allowed $server:8080"
if grep -q "banner from port 8081" <<<"$logs"; then fail "the guest reached the denied $server:8081"; fi

step "3/3 as $user: stop the guest gracefully (ACPI power button), then destroy it"
as_user stop vm
as_user logs vm --tail 3
grep -q STOCKADE-POWEROFF <<<"$(as_user_quiet logs vm)" || fail "the guest did not print its power-off"
as_user destroy vm
as_user list
