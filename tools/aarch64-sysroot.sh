#!/bin/bash
# Unpack Criterion's arm64 runtime (and its dependencies) into a private sysroot, without installing them:
# dpkg multiarch cannot hold libcriterion for both amd64 and arm64 (libnanomsg5 is not multi-arch), see
# ../shared/notes/neon-qemu.md. Usage: tools/aarch64-sysroot.sh DIR   (idempotent)
set -euo pipefail
SR=${1:?usage: aarch64-sysroot.sh DIR}
if [ -e "$SR/usr/lib/aarch64-linux-gnu/libcriterion.so.3" ]; then exit 0; fi
mkdir -p "$SR"
SR=$(cd "$SR" && pwd)
ARCHS="-o APT::Architectures::=amd64 -o APT::Architectures::=arm64"
apt-get $ARCHS update -qq
PKGS=$(apt-cache $ARCHS depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
       --no-replaces --no-enhances libcriterion3:arm64 | grep -E '^[a-z0-9].*:arm64$' | sort -u)
DL=$(mktemp -d)
chown _apt "$DL" 2>/dev/null || true
(cd "$DL" && apt-get $ARCHS download $PKGS >/dev/null && for d in *.deb; do dpkg-deb -x "$d" "$SR"; done)
rm -rf "$DL"
test -e "$SR/usr/lib/aarch64-linux-gnu/libcriterion.so.3"
