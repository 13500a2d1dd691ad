#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer (issue 27): builds rh-batch-fuzz with
# -sanitize=fuzzer,address into .build-fuzz, then runs a target (or every target) for a budget.
#
# Usage: Scripts/fuzz.sh [TARGET|all] [SECONDS] [-- libFuzzer options...]
#   TARGET: manifest journal api webhook report catalog table (default all); SECONDS per target
#   (default 60). Seeds: Tests/Fuzz/seeds/TARGET (committed); what libFuzzer adds goes to
#   .build-fuzz/corpus/TARGET; crash, timeout and out-of-memory inputs to .build-fuzz/findings.
#   A finding ends the script with status 1 and prints the input (base64) and how to replay it:
#   swift run rh-batch-fuzz TARGET FILE (an ordinary build: no fuzzer, the same checks).
#   FUZZ_JOBS=N runs N workers per target (libFuzzer -fork); FUZZ_STATS=FILE appends a line
#   "date commit target executions seconds" (tab-separated) per target, the commit the fuzzer was
#   built from ("-dirty" with uncommitted changes) and the seconds it ran: the README's counts
#   are the sums of Tests/Fuzz/campaigns.tsv. FUZZ_BUILD=0 runs the last build as it is (a long campaign
#   beside work on the sources).
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(manifest journal api webhook report catalog table)
which="${1:-all}"
seconds="${2:-60}"
shift $(($# > 2 ? 2 : $#))
[[ "${1:-}" == "--" ]] && shift
extra=("$@")
if [[ "$which" != all ]]; then
    [[ " ${targets[*]} " == *" $which "* ]] || { echo "unknown target '$which'; known: ${targets[*]}" >&2; exit 2; }
    targets=("$which")
fi

# RH_FUZZ=1 instruments this package's modules only (Package.swift); FUZZ_SCRATCH=.build reuses
# the dependencies of an ordinary release build (CI), at the cost of recompiling the package's
# modules when it builds normally again.
scratch="${FUZZ_SCRATCH:-.build-fuzz}"
if [[ "${FUZZ_BUILD:-1}" != 0 ]]; then
    echo "== building rh-batch-fuzz with -sanitize=fuzzer,address ($scratch)"
    RH_FUZZ=1 swift build -c release --scratch-path "$scratch" --product rh-batch-fuzz >"$scratch.log" 2>&1 \
        || { tail -40 "$scratch.log"; exit 2; }
    commit=$(git rev-parse --short HEAD 2>/dev/null || echo -)
    git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || commit="$commit-dirty"
    echo "$commit" >"$scratch.commit"
fi
bin="$(RH_FUZZ=1 swift build -c release --scratch-path "$scratch" --show-bin-path)/rh-batch-fuzz"
mkdir -p .build-fuzz/findings

status=0
for target in "${targets[@]}"; do
    corpus=".build-fuzz/corpus/$target"
    mkdir -p "$corpus"
    log=".build-fuzz/fuzz-$target.log"
    echo "== fuzz $target for ${seconds}s"
    # -timeout: an input that takes 10 s is a hang (the frontend answers in milliseconds);
    # -report_slow_units=1 prints every input over a second; -rss_limit_mb: a bounded reader
    # never needs 2 GB. -max_len: 64 KB where a cap is past 16 KB (api: the URL cap; webhook),
    # 8 KB for manifests and journals (line-based: a longer input repeats what a short one has,
    # and costs its length on every execution), 16 KB for the rest; FUZZ_MAX_LEN overrides.
    case "$target" in
        api | webhook) max_len=65536 ;;
        manifest | journal) max_len=8192 ;;
        *) max_len=16384 ;;
    esac
    max_len="${FUZZ_MAX_LEN:-$max_len}"
    set +e
    began=$SECONDS
    RH_FUZZ_TARGET="$target" ASAN_OPTIONS="detect_leaks=0:malloc_context_size=0:${ASAN_OPTIONS:-}" "$bin" "$corpus" "Tests/Fuzz/seeds/$target" \
        -max_total_time="$seconds" -timeout=10 -report_slow_units=1 -rss_limit_mb=2048 -max_len="$max_len" \
        -artifact_prefix=".build-fuzz/findings/$target-" -print_final_stats=1 ${FUZZ_JOBS:+-fork=$FUZZ_JOBS} \
        "${extra[@]}" >"$log" 2>&1
    code=$?
    set -e
    runs=$(grep -E "^stat::number_of_executed_units" "$log" | awk '{s+=$2} END {print s+0}' || true)
    slow=$(grep -c "Slowest unit" "$log" || true)
    echo "   $runs executions; exit $code; slow-unit reports: $slow"
    [[ -n "${FUZZ_STATS:-}" ]] &&
        printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$(cat "$scratch.commit" 2>/dev/null || echo -)" \
            "$target" "$runs" "$((SECONDS - began))" >>"$FUZZ_STATS"
    if ((code != 0)); then
        status=1
        grep -E "finding|ERROR|Fatal error|SUMMARY|Test unit written" "$log" | head -20 || true
        for file in $(grep -oE "Test unit written to [^ ]+" "$log" | awk '{print $5}'); do
            echo "   input ($file), base64:"
            base64 -w 0 "$file" | head -c 4000 || true
            echo
            echo "   replay: swift run rh-batch-fuzz $target $file"
        done
    fi
done
exit $status
