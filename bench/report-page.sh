#!/usr/bin/env bash
# report.html at scale: runs a 10,000-job manifest against the simulator (tasks of a few ms), then
# opens the folder's report.html from file:// in headless Chromium five times and prints the
# page's size and its time to interactive (navigation start to the page's ready mark, as the
# page measures it with performance.now()).
# Usage: bench/report-page.sh [JOBS_PER_100]   (needs chromium, chromium-driver, selenium)
# Set RH_BATCH_BIN to use another binary (default: a release build, made if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${RH_BATCH_BIN:-}" ]]; then
    swift build -c release --product rh-batch >/dev/null 2>&1
    RH_BATCH_BIN="$(swift build -c release --show-bin-path)/rh-batch"
fi
out="bench/out/report-page"
rm -rf "$out"
mkdir -p "$out"
python3 - "$out/m.yaml" <<'PY'
import sys
prompts = "\n".join(f"  - 'Variation {n}: restyle this room with palette {n % 37} and light {n % 11}.'" for n in range(1250))
open(sys.argv[1], "w").write(f"""version: 1
name: page-10k
output: out
concurrency: 200
matrix:
  prompt:
{prompts}
  image: ../../../samples/rooms/*.png
  model: [gpt-image-2, nano-banana-pro]
  aspect_ratio: ["16:9", "1:1"]
""")
PY
start=$(date +%s.%N)
"$RH_BATCH_BIN" run "$out/m.yaml" --simulate --sim-latency 0.001:0.005 --sim-concurrency-limit 200 --poll-interval 0.01:0.05 --query-rate 0 -q --no-progress | tail -3
echo "run: $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"
page="$out/out/report.html"
jobs=$(python3 -c "import json; print(len(json.load(open('$out/out/report.json'))['jobs']))")
echo "jobs: $jobs, report.html: $(stat -c %s "$page") bytes"
for i in 1 2 3 4 5; do
    python3 Tests/Tools/check_report_page.py "$page" --time
done | python3 -c '
import json, sys, statistics
rows = [json.loads(line) for line in sys.stdin if line.startswith("{")]
times = [row["interactiveMs"] for row in rows]
print("time to interactive (ms):", ", ".join(f"{t:.0f}" for t in times), "· median", f"{statistics.median(times):.0f}")
print("images on the first page:", rows[0]["imagesInPage"], "· image files fetched by then:", rows[0]["imagesFetched"])
'
