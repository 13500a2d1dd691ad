#!/usr/bin/env bash
# Benchmark: `rh-batch plan` on a manifest that expands to 100,000 jobs over 200 local images.
# Target (issue 2): under 1 s wall time and under 200 MB peak memory, release build.
# Usage: bench/plan.sh   (prints wall time and peak RSS of three runs)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product rh-batch >/dev/null
bin=$(swift build -c release --show-bin-path)/rh-batch
work=bench/out/plan
rm -rf "$work" && mkdir -p "$work"
python3 bench/make-plan-fixture.py "$work"
"$bin" plan "$work/plan-100k.yaml" | head -4
for run in 1 2 3; do
    /usr/bin/time -f "run $run: wall %e s, peak RSS %M KB" "$bin" plan "$work/plan-100k.yaml" >/dev/null
done
