#!/bin/bash
# Register qemu-aarch64 with binfmt_misc so that aarch64 programs that re-execute themselves (Criterion
# runs each test in a child of /proc/self/exe) work under qemu. This machine has no systemd to do it.
set -euo pipefail
[ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || cat /usr/lib/binfmt.d/qemu-aarch64.conf > /proc/sys/fs/binfmt_misc/register
