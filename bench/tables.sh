#!/usr/bin/env bash
# Benchmark: `rh-batch plan` of jobs from tables (issue 26): a 1,000,000-row CSV × 1 model
# (target: under 5 s and 1 GB) and a 100,000-line metadata.jsonl × 1 model (target: under 1 s),
# release build. Prints wall time and peak RSS of three runs each.
# Usage: bench/tables.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product rh-batch >/dev/null
bin=$(swift build -c release --show-bin-path)/rh-batch
work=bench/out/tables
if [ ! -f "$work/csv-1m.yaml" ]; then
    rm -rf "$work" && mkdir -p "$work"
    python3 bench/make-table-fixture.py "$work"
fi
for name in csv-1m jsonl-100k; do
    "$bin" plan "$work/$name.yaml" | head -2
    for run in 1 2 3; do
        /usr/bin/time -f "$name run $run: wall %e s, peak RSS %M KB" "$bin" plan "$work/$name.yaml" >/dev/null
    done
done
