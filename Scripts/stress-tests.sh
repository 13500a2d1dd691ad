#!/usr/bin/env bash
# Builds the tests once, then runs the whole suite N times (default 20) and prints, for every test
# that failed at least once, how many runs it failed in. Run it before submitting a change that
# touches timing; BUSY=1 keeps the other core busy (`yes > /dev/null`) during the runs.
#
#   Scripts/stress-tests.sh 30
#   BUSY=1 Scripts/stress-tests.sh 10
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
logs="$(mktemp -d)"

swift build --build-tests >"$logs/build.log" 2>&1 || { cat "$logs/build.log"; exit 1; }

busy_pid=""
if [[ "${BUSY:-0}" == "1" ]]; then
    yes >/dev/null &
    busy_pid=$!
    trap 'kill "$busy_pid" 2>/dev/null' EXIT
fi

failed_runs=0
for ((run = 1; run <= runs; run++)); do
    log="$logs/run-$run.log"
    start=$(date +%s)
    if swift test --skip-build >"$log" 2>&1; then
        printf 'run %3d/%d: passed (%ss)\n' "$run" "$runs" "$(( $(date +%s) - start ))"
    else
        failed_runs=$((failed_runs + 1))
        printf 'run %3d/%d: FAILED (%ss), log: %s\n' "$run" "$runs" "$(( $(date +%s) - start ))" "$log"
    fi
done

echo
echo "$((runs - failed_runs)) of $runs runs passed${busy_pid:+ (other core busy)}"
if ((failed_runs > 0)); then
    echo "failing tests (runs failed in):"
    # Swift Testing: '✘ Test name() recorded an issue at File.swift:L:C: ...'; XCTest: 'error: -[...] : ...'.
    grep -h -o '✘ Test .* recorded an issue at [^:]*:[0-9]*' "$logs"/run-*.log | sort | uniq -c | sort -rn
    grep -h -o 'error: -\[[^]]*\]' "$logs"/run-*.log | sort | uniq -c | sort -rn
    exit 1
fi
