# Helpers for the shell test scripts, sourced: a temporary folder $T removed at exit, pass/fail counts,
# ok NAME, bad NAME [DETAILS], try_cmd NAME COMMAND... (passes when the command succeeds; its output is kept
# in $T/out), and summary (the last line "N passed, M failed"; returns 1 if any check failed).
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() {
    fail=$((fail + 1))
    echo "FAIL $1"
    if [ -n "${2:-}" ]; then printf '%s\n' "$2" | head -15 | sed 's/^/     | /'; fi
}
try_cmd() {
    local name=$1
    shift
    if "$@" >"$T/out" 2>&1; then ok "$name"; else bad "$name" "$(cat "$T/out")"; fi
}
summary() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
