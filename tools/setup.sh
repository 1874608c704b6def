#!/bin/bash
# Installs what building and testing rtj needs on Debian 12 (run as root; installs only what is missing):
# a C compiler and make, pkg-config (make test-install), Criterion, SIMDe (header-only, for the emulated
# x86 kernel sets of make test), clang (the second compiler CI checks) with libclang-rt-14-dev (libFuzzer
# and the sanitizer runtimes of make fuzz),
# and for the aarch64 tests the cross compiler, qemu-user and Criterion's arm64 runtime in a private sysroot
# (build/sysroot-aarch64).
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS="make gcc clang libclang-rt-14-dev libc6-dev pkg-config libcriterion-dev libsimde-dev \
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user qemu-user-binfmt"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
tools/aarch64-sysroot.sh build/sysroot-aarch64
tools/binfmt-aarch64.sh
echo "setup: done"
