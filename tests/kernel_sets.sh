#!/bin/bash
# make test's last word: for each kernel set compiled into a library, how it ran — natively, emulated
# (SIMDe) or under qemu — read from the Criterion logs of the runs. A set runs in a mode when at least one
# of its tests (named name__<set>, generated from the kernel lists) passed there and none was skipped for
# want of the CPU feature. A set that ran in no mode fails make test: a skipped kernel is an untested one.
#   tests/kernel_sets.sh LIBRARY "SETS" "MODE=LOG" ...
# LIBRARY names the library (x86_64, aarch64); SETS is `rtj-run cpu`'s `compiled` line.
set -euo pipefail
lib=$1 sets=$2
shift 2
if [ -z "${sets// /}" ]; then
    echo "kernel sets ($lib): none reported by rtj-run cpu's 'compiled' line" >&2
    exit 1
fi
failed=0
echo "== kernel sets of the $lib library"
for s in $sets; do
    modes=""
    for run in "$@"; do
        mode=${run%%=*} log=${run#*=}
        if [ ! -r "$log" ]; then
            echo "kernel sets: no log $log for '$mode'" >&2
            exit 1
        fi
        # Tests left out by a --filter print "Test is disabled": they are not this mode's to run.
        pass=$(grep -cE "^\[PASS\] [A-Za-z0-9_]+::[A-Za-z0-9_]+__${s}:" "$log" || true)
        skip=$(grep -E "^\[SKIP\] [A-Za-z0-9_]+::[A-Za-z0-9_]+__${s}:" "$log" | grep -vc "Test is disabled" || true)
        fail=$(grep -cE "^\[FAIL\] [A-Za-z0-9_]+::[A-Za-z0-9_]+__${s}:" "$log" || true)
        if [ "$fail" -gt 0 ]; then
            echo "$s: $fail test(s) failed in '$mode'"
            failed=1
        elif [ "$pass" -gt 0 ] && [ "$skip" -eq 0 ]; then
            modes="${modes:+$modes, }$mode ($pass tests)"
        fi
    done
    if [ -n "$modes" ]; then
        echo "$s: $modes"
    else
        echo "$s: NOT RUN — compiled into the library, but no run executed its tests"
        failed=1
    fi
done
exit $failed
