#!/usr/bin/env python3
"""The chaos soak (issue 27): N jobs through the simulator's `chaos` scenario while rh-batch is
killed with SIGKILL at random moments and restarted until the batch is done; then the promises
are checked from the simulator's ledger and the output folder.

Usage: bench/soak.py N [--seed S] [--kill MIN:MAX] [--concurrency C]
Builds nothing: bench/soak.sh builds the release binary first and calls this. Exits 1 when a
check fails, and prints one markdown table row of figures.

Checks:
- no task billed twice for one job (a billed task whose endpoint and body, without the run's
  webhook URL, repeat an earlier one), and every billed task is a task of the report, or one the runner
  could not know (a submit answer the simulator lost, or a submit in flight when killed): at most
  one per `unknown` job;
- every job succeeded, or failed with a code and a message, or is `unknown`; `unknown` jobs are at
  most the lost answers, the submits answered 5xx (the runner cannot tell whether a task was made)
  and the submits a kill left in flight (kills x concurrency);
- no temporary or partial file (`.rh-tmp-`, `.rh-partial-`) is left;
- report.json, index.jsonl, metadata.jsonl and the files agree (same paths, sizes, sha256), and a
  further run changes nothing (no submit, no download: the journal says the batch is done);
- peak RSS: no run above what `rh-batch plan` of the manifest takes plus a fixed 24 MB and 3 KB a
  job (what a run holds per job beside its plan: its journal state and the record report.json is
  written from; measured 1.9 KB, see the README): memory follows the jobs, never the kills, the
  restarts or the chaos.
"""
import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner  # noqa: E402  (the simulator process and the manifest maker)

IMAGES = 20


def start_run(manifest, sim):
    env = dict(os.environ, RH_API_KEY="soak-key", RH_API_BASE_URL=sim.base)
    command = [runner.BIN, "run", manifest, "--no-progress", "-q", "--listen", "127.0.0.1:0"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait(process, timeout):
    """Waits up to `timeout` seconds; returns (status, peak RSS in MB), status None if still running."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid == process.pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return process.returncode, usage.ru_maxrss / 1024
        if time.monotonic() >= deadline:
            return None, 0
        time.sleep(0.02)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("jobs", type=int)
    parser.add_argument("--seed", type=int, default=27)
    parser.add_argument("--kill", default="0.5:6", help="seconds after a start to kill it, MIN:MAX")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--hang", type=float, default=1800, help="seconds a run may take before it counts as hung")
    options = parser.parse_args()
    kill_low, kill_high = (float(x) for x in options.kill.split(":"))
    chooser = random.Random(options.seed)

    prompts = -(-options.jobs // IMAGES)
    jobs = prompts * IMAGES
    folder = runner.fresh(f"soak-{jobs}")
    manifest = runner.make_manifest(folder, jobs, options.concurrency, images=IMAGES, name="soak")
    out = os.path.join(folder, "out")
    sim = runner.Simulator("--scenario", "chaos", "--seed", str(options.seed), "--latency", "0.2:1.0",
                           "--concurrency-limit", str(options.concurrency * 2), "--submits-per-second", "400",
                           "--result-side", "16")
    failures = []
    kills = 0
    runs = 0
    peaks = []
    started = time.monotonic()
    try:
        while True:
            runs += 1
            process = start_run(manifest, sim)
            status, peak = wait(process, chooser.uniform(kill_low, kill_high))
            if status is None:
                process.send_signal(signal.SIGKILL)
                status, peak = wait(process, 60)
                peaks.append(peak)
                if status is None:
                    failures.append("a killed run did not end")
                    break
                # A run that ended by itself in the same instant is not a kill.
                if status == -signal.SIGKILL:
                    kills += 1
                    continue
            else:
                peaks.append(peak)
            if status in (0, 1):
                break
            if status == -signal.SIGKILL:
                continue
            message = process.stderr.read().decode(errors="replace")[-2000:]
            failures.append(f"run {runs} exited {status}: {message}")
            break
        wall = time.monotonic() - started
        # The batch is done: a further run sends nothing and downloads nothing.
        before = sim.ledger()
        process = start_run(manifest, sim)
        final, final_peak = wait(process, options.hang)
        if final is None:
            process.kill()
            failures.append("the check run hung")
        elif final not in (0, 1):
            failures.append(f"the check run exited {final}: {process.stderr.read().decode(errors='replace')[-2000:]}")
        after = sim.ledger()
        if after["submitsAccepted"] != before["submitsAccepted"]:
            failures.append(f"the check run submitted {after['submitsAccepted'] - before['submitsAccepted']} tasks")
        if sum(after["downloads"].values()) != sum(before["downloads"].values()):
            failures.append("the check run downloaded again")
        ledger = after
    finally:
        sim.stop()

    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    statuses = {}
    for job in report["jobs"]:
        statuses[job["status"]] = statuses.get(job["status"], 0) + 1
        if job["status"] == "failed" and not (job.get("error") or {}).get("code"):
            failures.append(f"job {job['id']} failed without a code")
        if job["status"] == "failed" and not (job.get("error") or {}).get("message"):
            failures.append(f"job {job['id']} failed without a message")
    if len(report["jobs"]) != jobs:
        failures.append(f"the report has {len(report['jobs'])} jobs of {jobs}")
    other = {k: v for k, v in statuses.items() if k not in ("succeeded", "failed", "unknown")}
    if other:
        failures.append(f"jobs neither done nor unknown: {other}")
    unknown = statuses.get("unknown", 0)
    # A 5xx before the task was made is an unknown outcome too: the runner cannot tell it apart.
    unexplained = ledger["answersLost"] + ledger["submitsRefused"].get("5xx", 0) + kills * options.concurrency
    if unknown > unexplained:
        failures.append(f"{unknown} unknown jobs, more than lost answers, 5xx and kills in flight ({unexplained})")

    if ledger["doubleBilled"]:
        failures.append(f"{ledger['doubleBilled']} tasks billed twice for one job")
    # The ledger's own count compares whole bodies, and each run's webhook URL (a new port and
    # secret) differs: count again without it, so a job resent after a kill is seen.
    seen = set()
    twice = 0
    for task in ledger["billed"]:
        body = json.loads(task["body"])
        body.pop("webhookUrl", None)
        identity = (task["endpoint"], json.dumps(body, sort_keys=True))
        twice += identity in seen
        seen.add(identity)
    if twice:
        failures.append(f"{twice} tasks billed twice for one job (bodies compared without webhookUrl)")
    billed = {task["taskId"] for task in ledger["billed"]}
    known = {job["taskId"] for job in report["jobs"] if job.get("taskId")}
    if known - billed:
        failures.append(f"{len(known - billed)} task ids in the report were never billed")
    orphans = len(billed - known)
    if orphans > unknown:
        failures.append(f"{orphans} billed tasks no job knows, more than the {unknown} unknown jobs")

    # No temporary or partial file, anywhere in the folder.
    leftovers = [os.path.join(d, n) for d, _, names in os.walk(out) for n in names
                 if ".rh-tmp-" in n or ".rh-partial-" in n]
    if leftovers:
        failures.append(f"{len(leftovers)} temporary files left, e.g. {leftovers[0]}")

    # report.json, index.jsonl, metadata.jsonl and the files agree.
    outputs = {o["path"]: o for job in report["jobs"] if job["status"] == "succeeded" for o in job["outputs"]}
    with open(os.path.join(out, "index.jsonl")) as f:
        index = {entry["path"]: entry for entry in map(json.loads, f)}
    with open(os.path.join(out, "metadata.jsonl")) as f:
        metadata = {entry["file_name"] for entry in map(json.loads, f)}
    if set(index) != set(outputs):
        failures.append(f"index.jsonl and report.json disagree on {len(set(index) ^ set(outputs))} files")
    if metadata != set(outputs):
        failures.append(f"metadata.jsonl and report.json disagree on {len(metadata ^ set(outputs))} files")
    bookkeeping = {"report.json", "report.html", "index.jsonl", "metadata.jsonl", "journal.jsonl", "README.md"}
    on_disk = {os.path.relpath(os.path.join(d, n), out) for d, _, names in os.walk(out) for n in names}
    on_disk = {p for p in on_disk if p not in bookkeeping and not p.startswith(("inputs/", ".rh-batch"))}
    # Each succeeded job's sidecar: its first result's path with `.json`.
    sidecars = {os.path.splitext(job["outputs"][0]["path"])[0] + ".json"
                for job in report["jobs"] if job["status"] == "succeeded" and job["outputs"]}
    if not sidecars <= on_disk:
        failures.append(f"{len(sidecars - on_disk)} sidecars missing")
    on_disk -= sidecars
    if on_disk != set(outputs):
        failures.append(f"the folder and report.json disagree on {len(on_disk ^ set(outputs))} files")
    for path, output in outputs.items():
        full = os.path.join(out, path)
        if not os.path.exists(full):
            continue
        if os.path.getsize(full) != output["bytes"] or sha256(full) != output["sha256"] \
                or index.get(path, {}).get("sha256") != output["sha256"]:
            failures.append(f"{path}: the file, report.json and index.jsonl disagree on its bytes")
            break

    plan = subprocess.run(["/usr/bin/time", "-f", "%M", runner.BIN, "plan", manifest], capture_output=True, text=True)
    plan_mb = int(plan.stderr.strip().splitlines()[-1]) / 1024
    bound = plan_mb + 24 + 3 * jobs / 1024
    peak = max(peaks + [final_peak])
    if peak > bound:
        failures.append(f"peak RSS {peak:.0f} MB, above the plan's {plan_mb:.0f} MB + 24 MB + 3 KB a job ({bound:.0f} MB)")

    refused = sum(ledger["submitsRefused"].values())
    print("| jobs | kills | runs | wall | succeeded / failed / unknown | lost answers | billed | billed twice | "
          "refusals | expired downloads | callbacks dropped / duplicated / forged | peak RSS (max of runs) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {jobs:,} | {kills} | {runs} | {wall:.0f} s | {statuses.get('succeeded', 0)} / {statuses.get('failed', 0)} / "
          f"{unknown} | {ledger['answersLost']} | {len(ledger['billed'])} | {twice} | {refused} | "
          f"{ledger['expiredDownloads']} | {ledger['callbacksDropped']} / {ledger['callbacksDuplicated']} / "
          f"{ledger['callbacksForged']} | {peak:.0f} MB (bound {bound:.0f} MB) |")
    if failures:
        print("\nFAILED:")
        for failure in failures:
            print(" -", failure)
        sys.exit(1)
    print("\nall checks passed")


if __name__ == "__main__":
    main()
