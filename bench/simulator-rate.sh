#!/usr/bin/env bash
# Benchmark: the query rate the simulator sustains on loopback (issue 3: aim >= 2,000 requests/s),
# so that it is never the bottleneck of a runner benchmark.
# Usage: bench/simulator-rate.sh [seconds]   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
swift build -c release --product rh-batch >/dev/null
bin=$(swift build -c release --show-bin-path)/rh-batch
out=$(mktemp)
"$bin" simulator --latency 100000:100000 >"$out" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; rm -f "$out" "$out.lua"' EXIT
for _ in $(seq 50); do grep -q RH_API_BASE_URL "$out" && break; sleep 0.1; done
base=$(sed -n 's/^RH_API_BASE_URL=//p' "$out")
task=$(curl -s -X POST -H "Authorization: Bearer bench" -H "Content-Type: application/json" \
    -d '{"prompt":"p","image":"https://example.com/a.png"}' "$base/rhart-image-x-official/edit" |
    sed -n 's/.*"taskId":"\([0-9]*\)".*/\1/p')
cat >"$out.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"taskId":"$task"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench"
LUA
echo "simulator query rate, $seconds s, 2 threads, 32 connections, task $task"
wrk -t2 -c32 -d"${seconds}s" -s "$out.lua" "$base/query" | grep -E "Requests/sec|Latency|requests in|Non-2xx"
