#!/usr/bin/env python3
"""The memory guard: peak RSS ceilings for a 100,000-job plan, first run and resume.

Usage: bench/guard.py   (RH_BATCH_BIN: the binary, default .build/release/rh-batch;
                         RH_BENCH_WORK: where the work folder goes, default bench/out)

Checks memory only, never time: a change that undoes the memory work of the million-job issue
(per-job state held compactly, a streamed report, batched journal records) fails it, whatever
the machine's speed. The ceilings are in README.md ("Memory guard"), about 1.3 times what was
measured, so that the allocator's moods do not fail it. `.ci/run` runs it on a release build.
Exits 1 when a ceiling is passed or a step fails, and prints one line per step.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner  # noqa: E402  (the benchmarks' manifest maker, simulator and timed run)

JOBS = 100_000
CONCURRENCY = 500
# Peak RSS ceilings in MiB (README.md, "Memory guard").
CEILINGS = {"plan": 100, "first run": 230, "resume": 260}


def main():
    folder = runner.fresh("guard")
    manifest = runner.make_manifest(folder, JOBS, CONCURRENCY, images=50)
    measured = {}
    command = ["/usr/bin/time", "-f", "%e %U %S %M", runner.BIN, "plan", manifest]
    result = subprocess.run(command, capture_output=True, text=True)
    measured["plan"] = (result.returncode, int(result.stderr.strip().splitlines()[-1].split()[3]) / 1024)
    sim = runner.Simulator("--latency", "0.05:0.05", "--concurrency-limit", str(CONCURRENCY * 2), "--result-side", "4")
    try:
        first = runner.run(manifest, sim, "--poll-interval", "0.05:0.05", "--download-concurrency", "32")
        measured["first run"] = (first["exit"], first["rss_mb"])
        again = runner.run(manifest, sim)
        measured["resume"] = (again["exit"], again["rss_mb"])
    finally:
        sim.stop()
    failed = False
    for step, (code, rss) in measured.items():
        ok = code == 0 and rss <= CEILINGS[step]
        failed |= not ok
        print(f"memory guard: {step} of {JOBS:,} jobs: peak RSS {rss:.0f} MiB (ceiling {CEILINGS[step]} MiB), "
              f"exit {code}: {'ok' if ok else 'FAILED'}", flush=True)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
