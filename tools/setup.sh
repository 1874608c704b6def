#!/bin/bash
# Installs what building and testing rtj needs on Debian 12 (run as root; installs only what is missing):
# a C compiler and make, pkg-config (make test-install), Criterion, SIMDe (header-only, for the emulated
# x86 kernel sets of make test), clang (the second compiler CI checks) with libclang-rt-14-dev (libFuzzer
# and the sanitizer runtimes of make fuzz), a decimal-comma locale,
# and for the aarch64 tests the cross compiler, qemu-user and Criterion's arm64 runtime in a private sysroot
# (build/sysroot-aarch64).
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS="make gcc clang libclang-rt-14-dev libc6-dev pkg-config libcriterion-dev libsimde-dev locales \
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user qemu-user-binfmt"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# A locale with a decimal comma: the JSON test that numbers parse the same whatever LC_NUMERIC says.
if ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
    sed -i 's/^# *\(de_DE.UTF-8 UTF-8\)/\1/' /etc/locale.gen
    grep -q '^de_DE.UTF-8 UTF-8' /etc/locale.gen || echo 'de_DE.UTF-8 UTF-8' >>/etc/locale.gen
    locale-gen >/dev/null
fi
tools/aarch64-sysroot.sh build/sysroot-aarch64
tools/binfmt-aarch64.sh
echo "setup: done"
