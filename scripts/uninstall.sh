#!/usr/bin/env bash
# Removes what scripts/install.sh installed: programs, wrappers, units, docs. Keeps /etc/stockade,
# the state (/var/lib/stockade) and the cache (/var/cache/stockade) unless --purge, which also
# removes the stockade user and group. Takes the same --root/--prefix as install.sh.
#
#   scripts/uninstall.sh [--root DIR] [--prefix /usr] [--purge]
set -euo pipefail

root=/
prefix=/usr
purge=no

die() { echo "uninstall.sh: $*" >&2; exit 1; }
say() { echo "uninstall.sh: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2:?--root needs a directory}"; shift 2 ;;
    --prefix) prefix="${2:?--prefix needs a path}"; shift 2 ;;
    --purge) purge=yes; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
case "$root" in /*) ;; *) die "--root must be an absolute path, got '$root'" ;; esac
case "$prefix" in /?*) ;; *) die "--prefix must be an absolute path below /, got '$prefix'" ;; esac
root="${root%/}"
staging=no
[ -n "$root" ] && staging=yes
if [ "$staging" = no ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root (or use --root DIR for a staged install)"
fi

if [ "$staging" = no ] && [ -d /run/systemd/system ]; then
  # Stopping drains every sandbox (KillMode=mixed, TimeoutStopSec=): it may take a while.
  systemctl disable --now stockade.socket stockade.service 2>/dev/null || true
fi

remove() {
  local p
  for p in "$@"; do
    if [ -e "$p" ] || [ -L "$p" ]; then
      rm -rf -- "$p"
      say "removed $p"
    fi
  done
}

remove "$root/etc/systemd/system/stockade.service" \
  "$root/etc/systemd/system/stockade.socket" \
  "$root/etc/systemd/system/stockade.service.d" \
  "$root/etc/tmpfiles.d/stockade.conf" \
  "$root$prefix/bin/stockade" \
  "$root$prefix/libexec/stockade" \
  "$root$prefix/share/stockade" \
  "$root$prefix/share/doc/stockade"

if [ "$purge" = yes ]; then
  remove "$root/etc/stockade" "$root/var/lib/stockade" "$root/var/cache/stockade" "$root/run/stockade"
  if [ "$staging" = no ]; then
    if id stockade >/dev/null 2>&1; then userdel stockade && say "removed user stockade"; fi
    if getent group stockade >/dev/null; then groupdel stockade && say "removed group stockade"; fi
  fi
else
  for kept in "$root/etc/stockade" "$root/var/lib/stockade" "$root/var/cache/stockade"; do
    if [ -e "$kept" ]; then say "kept $kept (--purge removes it)"; fi
  done
fi

if [ "$staging" = no ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
fi
say "done"
