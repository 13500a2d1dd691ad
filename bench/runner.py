#!/usr/bin/env python3
"""Benchmarks rh-batch against the simulator running as its own process (issue 6).

Usage: bench/runner.py [rows...]   (rows: throughput, large, downloads, resume, ratelimit, adaptive, realistic,
keys, million, fixed, fixed-offgrid, querylimit, webhook, memory)
Builds nothing: bench/run.sh builds the release binary first and calls this.
Prints a markdown table: wall time vs the ideal ceil(J/N)*L, submits and queries per job,
CPU seconds per 1,000 jobs, peak RSS, and row-specific figures.
"""
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import time
import urllib.request
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import poller  # noqa: E402  (bench/poller.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("RH_BATCH_BIN") or os.path.join(ROOT, ".build", "release", "rh-batch")
WORK = os.environ.get("RH_BENCH_WORK") or os.path.join(ROOT, "bench", "out")


def png(path, seed, side=16):
    raw = b"".join(b"\x00" + b"".join(bytes(((seed + x) % 256, (seed // 256 + y) % 256, 77)) for x in range(side)) for y in range(side))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def make_manifest(folder, jobs, concurrency, images=20, name="bench"):
    os.makedirs(os.path.join(folder, "in"), exist_ok=True)
    for i in range(images):
        png(os.path.join(folder, "in", f"img{i:03d}.png"), i)
    prompts = math.ceil(jobs / images)
    lines = [f"version: 1", f"name: {name}", "output: out", f"concurrency: {concurrency}",
             "layout: \"{image}/{prompt}.{ext}\"", "matrix:", "  model: grok-imagine",
             "  image: \"in/*.png\"", "  prompt:"]
    lines += [f"    - 'Variation {p}: restyle the room and keep its layout.'" for p in range(prompts)]
    path = os.path.join(folder, "m.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    assert prompts * images == jobs, "jobs must be a multiple of the image count"
    return path


class Simulator:
    def __init__(self, *args):
        self.process = subprocess.Popen([BIN, "simulator", *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.base = None
        while self.base is None:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("the simulator did not start")
            if line.startswith("RH_API_BASE_URL="):
                self.base = line.strip().split("=", 1)[1]

    def ledger(self):
        root = self.base.replace("/openapi/v2", "")
        with urllib.request.urlopen(root + "/__simulator/ledger") as answer:
            return json.load(answer)

    def stop(self):
        self.process.terminate()
        self.process.wait()


def run(manifest, simulator, *extra, keys=None, defaults=False):
    env = dict(os.environ, RH_API_KEY="bench-key", RH_API_BASE_URL=simulator.base)
    if keys:
        env["RH_API_KEYS"] = ",".join(keys)
    # No query cap: these rows measure the runner against the simulator's own limits (issue 25's
    # rows run with the default settings instead).
    cap = [] if defaults else ["--query-rate", "0"]
    command = ["/usr/bin/time", "-f", "%e %U %S %M", BIN, "run", manifest, "--no-progress", "-q", *cap, *extra]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    wall, user, system, rss = result.stderr.strip().splitlines()[-1].split()
    return {"exit": result.returncode, "wall": float(wall), "cpu": float(user) + float(system), "rss_mb": int(rss) / 1024, "stdout": result.stdout}


def fresh(name):
    folder = os.path.join(WORK, name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    return folder


def throughput_row(label, jobs, concurrency, latency, poll):
    folder = fresh(label)
    manifest = make_manifest(folder, jobs, concurrency)
    sim = Simulator("--latency", f"{latency}:{latency}", "--concurrency-limit", str(concurrency * 2), "--result-side", "16")
    try:
        r = run(manifest, sim, "--poll-interval", poll)
        ledger = sim.ledger()
    finally:
        sim.stop()
    ideal = math.ceil(jobs / concurrency) * latency
    queries = sum(ledger["queries"].values())
    return (f"| {jobs:,} jobs, {concurrency} in flight, latency {latency} s, poll {poll} s | "
            f"{r['wall']:.1f} s vs ideal {ideal:.1f} s: efficiency {ideal / r['wall']:.2f} | "
            f"{ledger['submitsAccepted'] / jobs:.2f} submits/job, {queries / jobs:.1f} queries/job | "
            f"{r['cpu'] / jobs * 1000:.2f} CPU s per 1,000 jobs | peak RSS {r['rss_mb']:.0f} MB | exit {r['exit']} |")


def downloads_row(count=20, size_mb=50):
    folder = fresh("downloads")
    manifest = make_manifest(folder, count, count, images=count)
    sim = Simulator("--latency", "0.2:0.2", "--result-padding", str(size_mb * 1024 * 1024), "--result-side", "16")
    try:
        r = run(manifest, sim, "--poll-interval", "0.1:0.1", "--download-concurrency", "4")
    finally:
        sim.stop()
    report = json.load(open(os.path.join(folder, "out", "report.json")))
    total = report["totals"]["bytes"]
    seconds = r["wall"] - 0.2
    return (f"| {count} results of {size_mb} MB, 4 downloads at once | {total / 1e6:.0f} MB in {r['wall']:.1f} s: "
            f"{total / 1e6 / seconds:.0f} MB/s (includes the 0.2 s task latency) | — | {r['cpu']:.2f} CPU s | peak RSS {r['rss_mb']:.0f} MB "
            f"(files are {size_mb} MB each) | exit {r['exit']} |")


def ratelimit_row(jobs=480, limit=16, asked=64, latency=1.0, adaptive=False):
    folder = fresh("ratelimit")
    manifest = make_manifest(folder, jobs, asked)
    sim = Simulator("--scenario", "ratelimit", "--latency", f"{latency}:{latency}", "--concurrency-limit", str(limit),
                    "--submits-per-second", "1000", "--result-side", "16")
    try:
        r = run(manifest, sim, "--poll-interval", "0.1:0.1", *(["--ignore-account-limit"] if adaptive else []))
        ledger = sim.ledger()
    finally:
        sim.stop()
    ideal = math.ceil(jobs / limit) * latency
    refused = sum(ledger["submitsRefused"].values())
    how = "limit learnt from refusals (--ignore-account-limit)" if adaptive else "limit read from queue status"
    return (f"| ratelimit: limit {limit}, asked for {asked}, {jobs} jobs, latency {latency} s, {how} | "
            f"{r['wall']:.1f} s vs ideal {ideal:.1f} s at {limit}: efficiency {ideal / r['wall']:.2f} | "
            f"{refused / jobs:.2f} refusals/job, peak {ledger['peakConcurrent']} in flight | "
            f"{r['cpu'] / jobs * 1000:.2f} CPU s per 1,000 jobs | peak RSS {r['rss_mb']:.0f} MB | exit {r['exit']} |")


def resume_row(jobs=100_000, concurrency=500):
    folder = fresh("resume")
    manifest = make_manifest(folder, jobs, concurrency, images=50)
    sim = Simulator("--latency", "0.05:0.05", "--concurrency-limit", str(concurrency * 2), "--result-side", "4")
    try:
        first = run(manifest, sim, "--poll-interval", "0.05:0.05", "--download-concurrency", "32")
        before = sim.ledger()
        again = run(manifest, sim)
        after = sim.ledger()
    finally:
        sim.stop()
    submits = after["submitsAccepted"] - before["submitsAccepted"] + sum(after["submitsRefused"].values()) - sum(before["submitsRefused"].values())
    return (f"| resume of a finished {jobs:,}-job folder (first run: {first['wall']:.0f} s, exit {first['exit']}) | "
            f"{again['wall']:.2f} s wall | {submits} submits, {after['uploads'] - before['uploads']} uploads | "
            f"{again['cpu']:.2f} CPU s | peak RSS {again['rss_mb']:.0f} MB | exit {again['exit']} |")


def million_rows(jobs=1_000_000, concurrency=500, resumes=3):
    """Issue 14: a million simulated jobs (tasks of 50 ms): `plan`, the first run, and `resumes`
    resumes of the finished folder, each with its wall time and peak RSS. Needs about 25 minutes
    and 6 GB of free space under WORK (1,000,000 result files and sidecars; set RH_BENCH_WORK to a
    tmpfs such as /dev/shm to keep the disk out of it)."""
    folder = fresh("million")
    manifest = make_manifest(folder, jobs, concurrency, images=50)
    command = ["/usr/bin/time", "-f", "%e %U %S %M", BIN, "plan", manifest]
    result = subprocess.run(command, capture_output=True, text=True)
    wall, user, system, rss = result.stderr.strip().splitlines()[-1].split()
    rows = [f"| `plan` of {jobs:,} jobs | {float(wall):.2f} s wall | — | {float(user) + float(system):.2f} CPU s | peak RSS {int(rss) / 1024:.0f} MB | exit {result.returncode} |"]
    sim = Simulator("--latency", "0.05:0.05", "--concurrency-limit", str(concurrency * 2), "--result-side", "4")
    try:
        first = run(manifest, sim, "--poll-interval", "0.05:0.05", "--download-concurrency", "32")
        ledger = sim.ledger()
        rows.append(f"| first run of {jobs:,} jobs, {concurrency} in flight, tasks of 50 ms | {first['wall']:.0f} s wall | "
                    f"{ledger['submitsAccepted']} submits | {first['cpu']:.0f} CPU s | peak RSS {first['rss_mb']:.0f} MB | exit {first['exit']} |")
        for number in range(1, resumes + 1):
            again = run(manifest, sim)
            after = sim.ledger()
            rows.append(f"| resume {number} of the finished folder | {again['wall']:.2f} s wall | "
                        f"{after['submitsAccepted'] - ledger['submitsAccepted']} submits | {again['cpu']:.2f} CPU s | peak RSS {again['rss_mb']:.0f} MB | exit {again['exit']} |")
    finally:
        sim.stop()
    return "\n".join(rows)


def greedy_makespan(latencies, slots):
    """The ideal: these task times, in this order, on `slots` slots, each started the moment a
    slot frees, each seen finished the moment it finishes."""
    import heapq
    free = [0.0] * slots
    heapq.heapify(free)
    end = 0.0
    for latency in latencies:
        start = heapq.heappop(free)
        heapq.heappush(free, start + latency)
        end = max(end, start + latency)
    return end


def fixed_poller(base, jobs, slots, interval):
    """A plain thread-pool script: submit, query every `interval` s until done, download."""
    import concurrent.futures
    queries = [0]
    lock = __import__("threading").Lock()

    def post(path, body):
        return poller.post(base, path, body)

    def one(number):
        task = post("/rhart-image-x-official/edit", {"prompt": f"Variation {number}: restyle the room.", "image": "https://x/y.png"})["taskId"]
        while True:
            time.sleep(interval)
            with lock:
                queries[0] += 1
            answer = post("/query", {"taskId": task})
            if answer.get("status") in ("SUCCESS", "FAILED"):
                for result in answer.get("results") or []:
                    urllib.request.urlopen(result["url"]).read()
                return

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=slots) as pool:
        list(pool.map(one, range(jobs)))
    return time.monotonic() - start, queries[0]


def poller_program(base, folder, jobs, slots, interval):
    """`bench/poller.py` run as a program and timed as one, as rh-batch is: it also uploads the
    inputs and writes each result to a file. Its wall time and queries."""
    out = os.path.join(folder, "poller-out")
    shutil.rmtree(out, ignore_errors=True)
    command = ["/usr/bin/time", "-f", "%e", sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "poller.py"),
               base, folder, str(jobs), str(slots), str(interval), out]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    written = sum(len(files) for _, _, files in os.walk(out))
    if written != jobs:
        print(f"note: the poller program wrote {written} of {jobs} results", file=sys.stderr)
    return float(result.stderr.strip().splitlines()[-1]), json.loads(result.stdout)["queries"]


def realistic_row(jobs=320, slots=32, low=3.0, high=9.0, interval=0.5):
    """Issue 14's realistic polling: tasks of 3-9 s (a real model's 30-90 s scaled down 10x),
    32 in flight, rh-batch's default schedule scaled (0.3:1.5), against a fixed 0.5 s poller."""
    folder = fresh("realistic")
    manifest = make_manifest(folder, jobs, slots)
    rows = []
    sim = Simulator("--latency", f"{low}:{high}", "--concurrency-limit", str(slots * 2), "--result-side", "16", "--seed", "3")
    try:
        r = run(manifest, sim, "--poll-interval", "0.3:1.5", defaults=True)
        ledger = sim.ledger()
    finally:
        sim.stop()
    ideal = greedy_makespan([task["latency"] for task in ledger["billed"]], slots)
    queries = sum(ledger["queries"].values())
    rows.append(f"| rh-batch polling, {jobs} jobs, tasks {low:g}-{high:g} s, {slots} in flight, poll 0.3:1.5 | {r['wall']:.1f} s vs ideal {ideal:.1f} s: "
                f"efficiency {ideal / r['wall']:.2f} | {queries / jobs:.1f} queries/job | {r['cpu'] / jobs * 1000:.2f} CPU s per 1,000 jobs | "
                f"peak RSS {r['rss_mb']:.0f} MB | exit {r['exit']} |")
    sim = Simulator("--latency", f"{low}:{high}", "--concurrency-limit", str(slots * 2), "--result-side", "16", "--seed", "3")
    try:
        wall, asked = fixed_poller(sim.base, jobs, slots, interval)
        ledger = sim.ledger()
    finally:
        sim.stop()
    ideal = greedy_makespan([task["latency"] for task in ledger["billed"]], slots)
    rows.append(f"| fixed {interval:g} s poller (Python threads), same work | {wall:.1f} s vs ideal {ideal:.1f} s: efficiency {ideal / wall:.2f} | "
                f"{asked / jobs:.1f} queries/job | — | — | — |")
    return "\n".join(rows)


def fixed_rows(jobs=640, slots=64, latency=1.0, interval=0.5):
    """Issue 25: tasks of exactly 1 s, 64 in flight, rh-batch with its default settings (no flag)
    against a plain thread pool polling every 0.5 s, on the same simulator settings."""
    folder = fresh("fixed")
    manifest = make_manifest(folder, jobs, slots)
    sim_args = ["--latency", f"{latency}:{latency}", "--concurrency-limit", str(slots * 2), "--result-side", "16"]
    sim = Simulator(*sim_args)
    try:
        r = run(manifest, sim, defaults=True)
        ledger = sim.ledger()
    finally:
        sim.stop()
    ideal = math.ceil(jobs / slots) * latency
    queries = sum(ledger["queries"].values())
    rows = [f"| rh-batch, default settings: {jobs} jobs of {latency:g} s, {slots} in flight | {r['wall']:.1f} s vs ideal {ideal:.1f} s: "
            f"efficiency {ideal / r['wall']:.2f} | {queries / jobs:.2f} queries/job | {r['cpu'] / jobs * 1000:.2f} CPU s per 1,000 jobs | "
            f"peak RSS {r['rss_mb']:.0f} MB | exit {r['exit']} |"]
    sim = Simulator(*sim_args)
    try:
        wall, asked = fixed_poller(sim.base, jobs, slots, interval)
    finally:
        sim.stop()
    rows.append(f"| fixed {interval:g} s poller (Python threads), timed inside the script, no uploads, results not written | {wall:.1f} s vs ideal {ideal:.1f} s: efficiency {ideal / wall:.2f} | "
                f"{asked / jobs:.2f} queries/job | — | — | — |")
    rows.append(f"| rh-batch time / poller time | {r['wall'] / wall:.2f} | | | | |")
    sim = Simulator(*sim_args)
    try:
        wall, asked = poller_program(sim.base, folder, jobs, slots, interval)
    finally:
        sim.stop()
    rows.append(f"| the same poller as a program (`bench/poller.py`): uploads the inputs, writes each result, timed as a process | {wall:.1f} s vs ideal {ideal:.1f} s: efficiency {ideal / wall:.2f} | "
                f"{asked / jobs:.2f} queries/job | — | — | — |")
    rows.append(f"| rh-batch time / program's time | {r['wall'] / wall:.2f} | | | | |")
    return "\n".join(rows)


def querylimit_row(jobs=200, slots=64, latency=1.0, limit=30):
    """Issue 25: a simulator that refuses queries above `limit` a second per key; rh-batch with
    its default settings learns the rate. The limit alone allows jobs / limit seconds at one
    query a job."""
    folder = fresh("querylimit")
    manifest = make_manifest(folder, jobs, slots)
    sim = Simulator("--latency", f"{latency}:{latency}", "--concurrency-limit", str(slots * 2), "--result-side", "16",
                    "--queries-per-second", str(limit))
    try:
        r = run(manifest, sim, defaults=True)
        ledger = sim.ledger()
    finally:
        sim.stop()
    answered = sum(ledger["queries"].values())
    refused = ledger["queriesRefused"]
    floor = jobs / limit
    return (f"| query limit {limit}/s: {jobs} jobs of {latency:g} s, {slots} in flight, default settings | {r['wall']:.1f} s vs "
            f"{floor:.1f} s the limit allows: {r['wall'] / floor:.2f}x | {(answered + refused) / jobs:.2f} queries/job, "
            f"{refused} refused ({100 * refused / max(1, answered + refused):.1f}%) | {r['cpu'] / jobs * 1000:.2f} CPU s per 1,000 jobs | "
            f"peak RSS {r['rss_mb']:.0f} MB | exit {r['exit']} |")


def webhook_rows(jobs=320, slots=32, low=3.0, high=9.0):
    """Issue 25: webhook mode on realistic task times (3-9 s, 32 in flight, the scaled default
    schedule 0.3:1.5): clean callbacks, then 5% dropped, 20% duplicated, delays up to 0.3 s and
    forged callbacks."""
    rows = []
    for label, faults in [
        ("clean callbacks", []),
        ("5% dropped, 20% duplicated, delays up to 0.3 s, 5% forged",
         ["--webhook-drop", "0.05", "--webhook-duplicate", "0.2", "--webhook-delay", "0.3", "--webhook-forge", "0.05"]),
    ]:
        folder = fresh("webhook")
        manifest = make_manifest(folder, jobs, slots)
        sim = Simulator("--latency", f"{low}:{high}", "--concurrency-limit", str(slots * 2), "--result-side", "16",
                        "--seed", "3", *faults)
        try:
            r = run(manifest, sim, "--poll-interval", "0.3:1.5", "--listen", "127.0.0.1:0", defaults=True)
            ledger = sim.ledger()
        finally:
            sim.stop()
        report = json.load(open(os.path.join(folder, "out", "report.json")))
        ideal = greedy_makespan([task["latency"] for task in ledger["billed"]], slots)
        queries = sum(ledger["queries"].values())
        hooks = report["webhook"]
        rows.append(f"| rh-batch webhook mode, {label}: {jobs} jobs, tasks {low:g}-{high:g} s, {slots} in flight | "
                    f"{r['wall']:.1f} s vs ideal {ideal:.1f} s: efficiency {ideal / r['wall']:.2f} | {queries / jobs:.2f} queries/job; "
                    f"callbacks {hooks['callbacks']} (used {hooks['used']}, duplicates {hooks['duplicates']}, ignored {hooks['ignored']}), "
                    f"{hooks['foundByPolling']} found by the safety net; {report['totals']['succeeded']} of {jobs} succeeded, "
                    f"{ledger['doubleBilled']} billed twice | {r['cpu'] / jobs * 1000:.2f} CPU s per 1,000 jobs | "
                    f"peak RSS {r['rss_mb']:.0f} MB | exit {r['exit']} |")
    return "\n".join(rows)


def keys_rows(jobs=640, latency=1.0, limit=16):
    """Issue 14: two keys of limit 16 each against one key of limit 32, the same work."""
    rows = []
    for label, keys, sim_args in [
        ("one key, limit 32", None, ["--concurrency-limit", str(2 * limit)]),
        ("two keys, limit 16 each", ["key-a", "key-b"], ["--key-limit", f"key-a={limit}", "--key-limit", f"key-b={limit}"]),
    ]:
        folder = fresh("keys-" + ("two" if keys else "one"))
        manifest = make_manifest(folder, jobs, 2 * limit)
        sim = Simulator("--latency", f"{latency}:{latency}", "--result-side", "16", *sim_args)
        try:
            r = run(manifest, sim, "--poll-interval", "0.1:0.1", keys=keys)
            ledger = sim.ledger()
        finally:
            sim.stop()
        ideal = math.ceil(jobs / (2 * limit)) * latency
        refused = sum(ledger["submitsRefused"].values())
        rows.append(f"| {label}: {jobs} jobs, latency {latency} s | {r['wall']:.1f} s vs ideal {ideal:.1f} s: efficiency {ideal / r['wall']:.2f} | "
                    f"{refused / jobs:.2f} refusals/job, peak per key {max(ledger['peakByKey'].values())} | {r['cpu'] / jobs * 1000:.2f} CPU s per 1,000 jobs | "
                    f"peak RSS {r['rss_mb']:.0f} MB | exit {r['exit']} |")
    return "\n".join(rows)


def memory_rows(sizes=(2_000, 20_000)):
    """The soak's manifests run once through a quiet simulator (webhook mode, no kill), beside
    `plan` of them alone: how peak RSS grows with the job count when nothing goes wrong."""
    rows = []
    for jobs in sizes:
        folder = fresh(f"memory{jobs}")
        manifest = make_manifest(folder, jobs, 64)
        plan = subprocess.run(["/usr/bin/time", "-f", "%M", BIN, "plan", manifest], capture_output=True, text=True)
        plan_mb = int(plan.stderr.strip().splitlines()[-1]) / 1024
        sim = Simulator("--latency", "0.2:1", "--result-side", "16")
        try:
            r = run(manifest, sim, "--listen", "127.0.0.1:0", defaults=True)
        finally:
            sim.stop()
        rows.append(f"| quiet run of the soak's manifest: {jobs:,} jobs, 64 in flight, webhook mode | {r['wall']:.1f} s | — | "
                    f"{r['cpu'] / jobs * 1000:.2f} CPU s per 1,000 jobs | peak RSS {r['rss_mb']:.0f} MB (`plan` alone {plan_mb:.0f} MB) | exit {r['exit']} |")
    return "\n".join(rows)


def main():
    rows = [a for a in sys.argv[1:] if not a.startswith("--")] or ["throughput", "large", "downloads", "resume", "ratelimit", "adaptive"]
    print("| scenario | time | API calls | CPU | memory | |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        if row == "throughput":
            print(throughput_row("throughput", 2000, 64, 1.0, "0.1:0.1"), flush=True)
        elif row == "large":
            print(throughput_row("large", 10_000, 200, 0.5, "0.05:0.05"), flush=True)
        elif row == "downloads":
            print(downloads_row(), flush=True)
        elif row == "resume":
            print(resume_row(), flush=True)
        elif row == "ratelimit":
            print(ratelimit_row(), flush=True)
        elif row == "adaptive":
            print(ratelimit_row(adaptive=True), flush=True)
        elif row == "realistic":
            print(realistic_row(), flush=True)
        elif row == "fixed":
            print(fixed_rows(), flush=True)
        elif row == "fixed-offgrid":
            # The same with tasks of 1.1 s: no longer a whole number of the poller's 0.5 s steps.
            print(fixed_rows(latency=1.1), flush=True)
        elif row == "webhook":
            print(webhook_rows(), flush=True)
        elif row == "querylimit":
            print(querylimit_row(), flush=True)
        elif row == "keys":
            print(keys_rows(), flush=True)
        elif row == "memory":
            print(memory_rows(), flush=True)
        elif row == "million":
            print(million_rows(), flush=True)


if __name__ == "__main__":
    main()
