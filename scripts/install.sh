#!/usr/bin/env bash
# Installs Stockade: the two jars, their wrappers, /etc/stockade, the systemd units and the docs.
# Idempotent: a second run replaces programs and units and keeps the operator's configuration.
# It never starts anything unless --start is given. --root installs into a staging directory
# (nothing on the host is touched: no groups, no systemctl), which is how the tests run it.
#
#   scripts/install.sh [--root DIR] [--prefix /usr] [--cli-jar JAR] [--supervisor-jar JAR]
#                      [--build] [--dedicated-user] [--start]
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
root=/
prefix=/usr
cli_jar="$repo/client/target/stockade-cli.jar"
supervisor_jar="$repo/supervisor/daemon/target/stockade-supervisor.jar"
build=auto
dedicated_user=no
start=no

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2:?--root needs a directory}"; shift 2 ;;
    --prefix) prefix="${2:?--prefix needs a path}"; shift 2 ;;
    --cli-jar) cli_jar="${2:?}"; build=no; shift 2 ;;
    --supervisor-jar) supervisor_jar="${2:?}"; build=no; shift 2 ;;
    --build) build=yes; shift ;;
    --no-build) build=no; shift ;;
    --dedicated-user) dedicated_user=yes; shift ;;
    --start) start=yes; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

case "$root" in /*) ;; *) die "--root must be an absolute path, got '$root'" ;; esac
case "$prefix" in /*) ;; *) die "--prefix must be an absolute path, got '$prefix'" ;; esac
root="${root%/}"          # "/" becomes "", so "$root/etc" is "/etc"
staging=no
[ -n "$root" ] && staging=yes
if [ "$staging" = no ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root (or use --root DIR to stage an install)"
fi
if [ "$staging" = yes ] && [ "$start" = yes ]; then
  die "--start cannot be combined with --root (a staged install is not on this host)"
fi

# 1. The jars: built ones, or build them now.
if [ "$build" = yes ] || { [ "$build" = auto ] && { [ ! -f "$cli_jar" ] || [ ! -f "$supervisor_jar" ]; }; }; then
  say "building the jars (mvn package, tests skipped)"
  (cd "$repo" && mvn -B -q -DskipTests -pl client,supervisor/daemon -am package)
fi
[ -f "$cli_jar" ] || die "missing $cli_jar: build it (mvn -DskipTests package) or pass --cli-jar"
[ -f "$supervisor_jar" ] || die "missing $supervisor_jar: build it or pass --supervisor-jar"

share="$root$prefix/share/stockade"
libexec="$root$prefix/libexec/stockade"
bindir="$root$prefix/bin"
docdir="$root$prefix/share/doc/stockade"
etc="$root/etc/stockade"
units="$root/etc/systemd/system"
tmpfiles="$root/etc/tmpfiles.d"

# Replaces a file by rename, never in place: a running JVM keeps reading its open jar, and
# truncating that jar under it crashes it at the next class load.
put() { # put MODE SRC DEST
  local tmp
  tmp="$(mktemp "$(dirname "$3")/.stockade-install.XXXXXX")"
  cat "$2" > "$tmp"
  chmod "$1" "$tmp"
  mv -f "$tmp" "$3"
}
put_text() { # put_text MODE DEST <<< text
  local tmp
  tmp="$(mktemp "$(dirname "$2")/.stockade-install.XXXXXX")"
  cat > "$tmp"
  chmod "$1" "$tmp"
  mv -f "$tmp" "$2"
}

# 2. Programs.
install -d -m 0755 "$share" "$libexec" "$bindir" "$docdir"
put 0644 "$cli_jar" "$share/stockade-cli.jar"
put 0644 "$supervisor_jar" "$share/stockade-supervisor.jar"
put_text 0755 "$bindir/stockade" <<EOW
#!/bin/sh
# Stockade client CLI (installed by scripts/install.sh).
exec "\${STOCKADE_JAVA:-java}" \${STOCKADE_JAVA_OPTS:-} -jar $prefix/share/stockade/stockade-cli.jar "\$@"
EOW
# exec: the JVM must be the unit's main process (Type=notify with NotifyAccess=main).
put_text 0755 "$libexec/stockade-supervisor" <<EOW
#!/bin/sh
# Stockade supervisor (installed by scripts/install.sh); systemd runs "\$0 run".
exec "\${STOCKADE_JAVA:-java}" -XX:+ExitOnOutOfMemoryError \${STOCKADE_JAVA_OPTS:-} -jar $prefix/share/stockade/stockade-supervisor.jar "\$@"
EOW
put 0644 "$repo/docs/operations.md" "$docdir/operations.md"

# 3. Configuration: created once, never overwritten. Root-owned 0755: only root edits policy.
install -d -m 0755 "$etc" "$etc/policy.d"
if [ "$staging" = no ]; then chown root:root "$etc" "$etc/policy.d"; fi
if [ ! -e "$etc/stockade.json" ]; then
  # Every key has a default (`stockade-supervisor config --print` lists them): an empty object
  # is a complete configuration, and an operator's edits are never merged with ours.
  put_text 0644 "$etc/stockade.json" <<<'{}'
  say "created $etc/stockade.json (defaults)"
else
  say "kept $etc/stockade.json"
fi

# 4. Units, with ExecStart following --prefix.
install -d -m 0755 "$units" "$tmpfiles"
sed "s|/usr/libexec/stockade/|$prefix/libexec/stockade/|; s|file:/usr/share/doc/|file:$prefix/share/doc/|" \
  "$repo/scripts/systemd/stockade.service" | put_text 0644 "$units/stockade.service"
sed "s|file:/usr/share/doc/|file:$prefix/share/doc/|" "$repo/scripts/systemd/stockade.socket" \
  | put_text 0644 "$units/stockade.socket"
put 0644 "$repo/scripts/systemd/stockade-tmpfiles.conf" "$tmpfiles/stockade.conf"
dropin="$units/stockade.service.d"
if [ "$dedicated_user" = yes ]; then
  install -d -m 0755 "$dropin"
  put 0644 "$repo/scripts/systemd/dedicated-user.conf" "$dropin/dedicated-user.conf"
elif [ -e "$dropin/dedicated-user.conf" ]; then
  say "kept $dropin/dedicated-user.conf (remove it to run as root)"
fi

# 5. Group (and user), only on the real host.
if [ "$staging" = no ]; then
  getent group stockade >/dev/null || { groupadd --system stockade; say "created group stockade"; }
  if [ "$dedicated_user" = yes ]; then
    getent group kvm >/dev/null || { groupadd --system kvm; say "created group kvm"; }
    if ! id stockade >/dev/null 2>&1; then
      useradd --system --gid stockade --groups kvm --home-dir /var/lib/stockade --no-create-home \
        --shell /usr/sbin/nologin stockade
      say "created user stockade"
    fi
  fi
  systemd-tmpfiles --create "$tmpfiles/stockade.conf" || say "systemd-tmpfiles failed: /run/stockade is created at the next boot or service start"
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
  fi
else
  say "staged into $root: no group, user or systemctl changes on this host"
fi

# 6. Start only when asked.
if [ "$start" = yes ]; then
  [ -d /run/systemd/system ] || die "--start: systemd is not running on this host"
  systemctl enable --now stockade.socket stockade.service
  say "started; check with: systemctl status stockade && stockade-supervisor preflight"
  exit 0
fi

cat <<EOT

Stockade is installed. Next steps:
  1. Check the host:          $prefix/libexec/stockade/stockade-supervisor preflight
     (add --probe-boot once an image is built to learn whether KVM boots guests here)
  2. Write policy:            $etc/policy.d/*.json (root-owned; see docs/operations.md)
  3. Let users in:            usermod -aG stockade USER   (members may use the API socket)
  4. Start it:                systemctl enable --now stockade.socket stockade.service
  5. Watch it:                journalctl -u stockade -f
EOT
