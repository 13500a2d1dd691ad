#!/usr/bin/env bash
# The chaos soak of issue 27: builds the release binary, then runs bench/soak.py (N jobs through
# the simulator's chaos scenario, rh-batch killed with SIGKILL at random moments and restarted
# until the batch is done, then every promise checked).
# Usage: bench/soak.sh N [--seed S] [--kill MIN:MAX] [--concurrency C]
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { echo "usage: bench/soak.sh N [--seed S] [--kill MIN:MAX] [--concurrency C]" >&2; exit 2; }
swift build -c release --product rh-batch >/dev/null 2>&1 || swift build -c release --product rh-batch
RH_BATCH_BIN="$(swift build -c release --show-bin-path)/rh-batch" python3 bench/soak.py "$@"
