#!/usr/bin/env bash
# Quick start: build Stockade, start a supervisor with a throwaway configuration, and run a
# process sandbox through the `stockade` CLI as a throwaway unprivileged user:
#   stockade create --kind process -- /bin/sh -c 'echo hello from a jailed process; id'
#   stockade start / logs / destroy
# Run as root after scripts/setup-debian.sh. Everything it creates (user, group, temp directory,
# the supervisor process) is removed on exit, also on failure or Ctrl-C. The checkout must be
# readable by other users (the demo user runs scripts/stockade from it).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "quickstart.sh: run as root (it creates a demo user and starts the supervisor)" >&2
  exit 1
fi

step() { printf '\n==> %s\n' "$*"; }

step "building (mvn -q -B -DskipTests package)"
mvn -q -B -DskipTests package

work=$(mktemp -d /tmp/stockade-quickstart.XXXXXX)
chmod 0755 "$work"
user="stk-demo-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
supervisor_pid=""

cleanup() {
  status=$?
  if [ -n "$supervisor_pid" ] && kill -0 "$supervisor_pid" 2>/dev/null; then
    step "stopping the supervisor (SIGTERM: it stops every sandbox, then exits)"
    kill -TERM "$supervisor_pid" 2>/dev/null || true
    wait "$supervisor_pid" 2>/dev/null || true
  fi
  if id "$user" >/dev/null 2>&1; then
    userdel "$user" 2>/dev/null || true
  fi
  if getent group "$user" >/dev/null 2>&1; then
    groupdel "$user" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -f "$work/supervisor.log" ]; then
    echo "--- supervisor log ---" >&2
    tail -n 50 "$work/supervisor.log" >&2
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "creating the throwaway user $user (no home, no login shell)"
useradd -r -U -M -s /usr/sbin/nologin "$user"

step "writing a temporary configuration and a policy that lets $user run /bin/sh"
install -d -m 0755 "$work/policy" "$work/run"
cat > "$work/policy/demo.json" <<JSON
{
  "version": 1,
  "description": "quickstart: the demo user may run /bin/sh in up to two process sandboxes",
  "rules": [
    {
      "users": ["$user"],
      "grant": {"kinds": ["process"], "commands": ["/bin/sh"], "maxSandboxes": 2, "maxVcpus": 1, "maxMemoryMiB": 256}
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
  "jailsDir": "$work/jails",
  "runDir": "$work/run",
  "socketPath": "$work/run/stockade.sock",
  "socketGroup": "$user",
  "policyDir": "$work/policy",
  "stop": {"gracefulSeconds": 3, "termSeconds": 2, "drainSeconds": 10},
  "network": {"enabled": false}
}
JSON
socket="$work/run/stockade.sock"

step "starting the supervisor (log: $work/supervisor.log)"
"$repo/scripts/stockade-supervisor" run --config "$work/stockade.json" >"$work/supervisor.log" 2>&1 &
supervisor_pid=$!
for _ in $(seq 1 100); do
  [ -S "$socket" ] && break
  kill -0 "$supervisor_pid" 2>/dev/null || { echo "quickstart.sh: the supervisor exited early" >&2; exit 1; }
  sleep 0.1
done
[ -S "$socket" ] || { echo "quickstart.sh: no socket at $socket after 10 s" >&2; exit 1; }

as_user() {
  printf '$ stockade%s\n' "$(printf ' %q' "$@")"
  runuser -u "$user" -- env STOCKADE_SOCKET="$socket" "$repo/scripts/stockade" "$@"
}

step "as $user: create, start, read the console, destroy"
as_user create --kind process --name hello -- /bin/sh -c 'echo hello from a jailed process; id'
as_user start hello
sleep 1
as_user logs hello
as_user destroy hello

step "done: the supervisor is stopped and the demo user and files are removed on exit"
