#!/usr/bin/env bash
# Installs, from Debian 12 packages only, everything Stockade needs to build, run and test:
# JDK 17 and Maven (no Maven Wrapper: its properties would have to name a download host),
# the C compiler for the native exec stage, QEMU for microVMs, nftables/iproute2/conntrack for
# the per-sandbox network, busybox/cpio/e2fsprogs for the image builder, socat for raw protocol
# tests and systemd's tools for checking the units. Idempotent; run as root.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-debian.sh: run as root (it installs Debian packages)" >&2
  exit 1
fi

packages=(
  openjdk-17-jdk-headless maven gcc libc6-dev libseccomp2
  qemu-system-x86 qemu-utils
  nftables iproute2 conntrack netcat-openbsd socat curl
  busybox-static cpio e2fsprogs kmod zstd
  systemd passwd util-linux procps
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-debian.sh: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup-debian.sh: all packages present"
fi
