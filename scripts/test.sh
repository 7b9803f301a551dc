#!/usr/bin/env bash
# The README's test command: builds the default image (cached), then builds and tests every
# module. Tests that need root, KVM or QEMU skip themselves with the reason where absent.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x scripts/build-image ]; then
  scripts/build-image --quiet
fi
exec mvn -B -ntp verify "$@"
