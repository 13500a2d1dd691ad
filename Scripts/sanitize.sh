#!/usr/bin/env bash
# The test suite under sanitizers (issue 27): AddressSanitizer,
# and ThreadSanitizer, each in its own build folder (a clean build each: several minutes).
#
# Usage: Scripts/sanitize.sh [address|thread|all] [FILTER]
#   FILTER: a `swift test --filter` expression (default: every test).
# Prints one line per sanitizer: the test count, the time, and the sanitizer's reports found in
# the output (0 is a pass). The last result is in README.md ("Proven against hostile input").
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
filter="${2:-}"
case "$which" in address | thread | all) ;; *) echo "usage: Scripts/sanitize.sh [address|thread|all] [FILTER]" >&2; exit 2 ;; esac

status=0
run() {
    local name="$1" scratch="$2"
    shift 2
    local log="$scratch.log"
    # Every process's reports also go to files here (log_path): the tests' child binaries (each
    # `rh-batch` the tests start, built with the same sanitizer) often have their standard error
    # captured or discarded, and a report there would show only as a failed test (exit 66).
    local reportsFolder="$PWD/$scratch.reports"
    rm -rf "$reportsFolder" && mkdir -p "$reportsFolder"
    echo "== swift test $* (scratch $scratch)"
    local started=$SECONDS
    set +e
    # halt_on_error=1: a report fails the run instead of scrolling past. The tests pass these
    # options on to the binaries they start.
    ASAN_OPTIONS="detect_leaks=0:log_path=$reportsFolder/asan" \
        TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/Scripts/tsan.supp:print_suppressions=1:log_path=$reportsFolder/tsan" \
        swift test --scratch-path "$scratch" "$@" ${filter:+--filter "$filter"} >"$log" 2>&1
    local code=$?
    set -e
    # What the tests printed and what every process wrote to its report file.
    output() { cat "$log" "$reportsFolder"/* 2>/dev/null || true; }
    local report="ERROR: (AddressSanitizer|ThreadSanitizer)|WARNING: ThreadSanitizer|runtime error:"
    local reports
    reports=$(output | grep -cE "$report" || true)
    # print_suppressions=1: each process that matched a suppression says how often, at its exit
    # (a lower bound: a process killed by a signal, as the kill tests do, never says).
    local suppressed
    suppressed=$(output | { grep -oE "Matched [0-9]+ suppressions" || true; } | awk '{s += $2} END {print s + 0}')
    local summary
    summary=$(grep -E "Test run with .* (passed|failed)|Executed [0-9]+ tests" "$log" | tail -2 | tr '\n' ' ' || true)
    echo "   $name: exit $code, $((SECONDS - started)) s, sanitizer reports: $reports (suppressed: $suppressed); $summary"
    if ((code != 0 || reports != 0)); then
        status=1
        output | grep -E -A12 "$report" | head -60 || true
        grep -E "✘|error:" "$log" | head -20 || true
    fi
}
# Swift has no UndefinedBehaviorSanitizer on Linux (`-sanitize=undefined` is refused); its own
# checks trap on overflow and out-of-bounds access in every build, and C code is libyaml, a system
# library fuzzed upstream.
[[ "$which" == address || "$which" == all ]] && run "address" .build-asan --sanitize=address
[[ "$which" == thread || "$which" == all ]] && run "thread" .build-tsan --sanitize=thread
exit $status
