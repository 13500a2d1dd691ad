#!/usr/bin/env bash
# Benchmarks of issue 6: builds the release binary, then runs bench/runner.py, which starts the
# simulator as a separate process for each row and prints a markdown table.
# Usage: bench/run.sh [rows...]   (throughput large downloads resume ratelimit adaptive; default all;
#        also: realistic keys million, and issue 25's fixed querylimit webhook; RH_BENCH_WORK=/dev/shm/rh puts the work folders on a tmpfs)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product rh-batch >/dev/null 2>&1
RH_BATCH_BIN="$(swift build -c release --show-bin-path)/rh-batch" python3 bench/runner.py "$@"
