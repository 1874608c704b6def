#!/bin/bash
# Runs fuzz targets one after another (one libFuzzer process at a time) and fails if any finds anything.
# usage: run.sh BIN_DIR SEEDS_DIR WORK_DIR SECONDS TARGET...
# Per target: BIN_DIR/fuzz_TARGET fuzzes for SECONDS with tests/fuzz/dict/TARGET.dict, the growing corpus
# WORK_DIR/corpus/TARGET (kept between runs) and the seeds SEEDS_DIR/TARGET; findings go to
# WORK_DIR/artifacts/TARGET/, the log to WORK_DIR/logs/TARGET.log. Limits: 10 s an input (a hang), 512 MB
# for one allocation and 1 GB of RSS (allocation without limit): each is a finding. One line per target:
# executions, coverage (cov: edges, ft: features) from libFuzzer's final stats.
set -uo pipefail
bin=$1 seeds=$2 work=$3 seconds=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=""
for t in "$@"; do
    mkdir -p "$work/corpus/$t" "$work/artifacts/$t" "$work/logs"
    log=$work/logs/$t.log
    extra=()
    # The data readers print every fault on stderr (rtj-run's messages): libFuzzer keeps its own output.
    [ "$t" = data ] && extra+=(-close_fd_mask=2)
    "$bin/fuzz_$t" -max_total_time="$seconds" -timeout=10 -malloc_limit_mb=512 -rss_limit_mb=1024 \
        -print_final_stats=1 -dict="$here/dict/$t.dict" -artifact_prefix="$work/artifacts/$t/" "${extra[@]}" \
        "$work/corpus/$t" "$seeds/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')
    if [ $rc -ne 0 ]; then
        failed="$failed $t"
        echo "fuzz_$t: FINDING (exit $rc) after ${execs:-?} executions; log $log, inputs in $work/artifacts/$t/"
        grep -E 'ERROR|SUMMARY|runtime error|fuzz check failed|Test unit written' "$log" | head -8 | sed 's/^/    /'
    else
        echo "fuzz_$t: ${execs:-?} executions in ${seconds} s (${secs:-?}/s), ${cov:-no stats}, no findings"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz: findings in$failed"
    exit 1
fi
