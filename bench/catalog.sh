#!/usr/bin/env bash
# Benchmarks of issue 11 (the catalog of every registry model), on a release build:
#   1. the built-in catalog's load (`rh-batch models --stats` times it in-process) — target < 20 ms;
#   2. `rh-batch models --json` of all 299 models — target < 100 ms;
#   3. `rh-batch plan` of 100,000 jobs over 20 models of different kinds — target < 1 s, < 200 MB.
# Prints wall time and peak RSS of five runs each (GNU time). Usage: bench/catalog.sh
# Set RH_BATCH_BIN to use another binary (default: a release build, made if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${RH_BATCH_BIN:-}" ]]; then
    swift build -c release --product rh-batch >/dev/null 2>&1
    RH_BATCH_BIN="$(swift build -c release --show-bin-path)/rh-batch"
fi
bin=$RH_BATCH_BIN
work=bench/out/catalog
rm -rf "$work" && mkdir -p "$work"
python3 bench/make-catalog-fixture.py "$work" "$bin"
echo "== the built-in catalog's load, as the binary measures it (find the resource, decode, index)"
for run in 1 2 3 4 5; do "$bin" models --stats | sed "s/.*loaded/run $run: loaded/"; done
echo "== a whole command that loads it: rh-batch models nano-banana-pro"
for run in 1 2 3 4 5; do /usr/bin/time -f "run $run: wall %e s, peak RSS %M KB" "$bin" models nano-banana-pro >/dev/null; done
echo "== rh-batch models --json (299 models)"
"$bin" models --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)), 'models')"
for run in 1 2 3 4 5; do /usr/bin/time -f "run $run: wall %e s, peak RSS %M KB" "$bin" models --json >/dev/null; done
echo "== rh-batch plan: 100,000 jobs over 20 models"
"$bin" plan "$work/catalog-100k.yaml" | head -3
for run in 1 2 3 4 5; do /usr/bin/time -f "run $run: wall %e s, peak RSS %M KB" "$bin" plan "$work/catalog-100k.yaml" >/dev/null; done
