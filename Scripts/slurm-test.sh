#!/usr/bin/env bash
# The documented Slurm recipe on a real single-node Slurm (issue 29): installs slurm-wlm and munge
# from Debian when missing, writes a slurm.conf for this machine, starts munged, slurmctld and
# slurmd, starts the built-in simulator, submits docs/examples/slurm-array.sh as it is (only the
# manifest, the results folder and the simulator's URL come through the environment), kills one
# array task mid-run and submits its index again, merges the shards, and checks from the
# simulator's ledger and the merged report that every job ran exactly once and nothing was billed
# twice. Stops every daemon it started. `.ci/run` runs it (as root, as CI does).
#
#   Scripts/slurm-test.sh            # uses the debug build (swift build first)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bin="${RH_BATCH_BIN:-$(swift build --show-bin-path)/rh-batch}"
[[ -x "$bin" ]] || { echo "slurm-test: no rh-batch at $bin (swift build first)"; exit 1; }
started=$(date +%s)

if ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    echo "== apt-get install slurm-wlm munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq slurm-wlm munge >/dev/null
fi

work=$(mktemp -d /tmp/rh-slurm.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    set +e
    [[ -n "${SLURM_CONF:-}" ]] && scancel --quiet --user=root 2>/dev/null
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    [[ -f "$work/slurmd.pid" ]] && kill "$(cat "$work/slurmd.pid")" 2>/dev/null
    [[ -f "$work/slurmctld.pid" ]] && kill "$(cat "$work/slurmctld.pid")" 2>/dev/null
    [[ -f "$work/munged.pid" ]] && kill "$(cat "$work/munged.pid")" 2>/dev/null
    sleep 1
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "slurm-test: FAILED: $*"
    for log in slurmctld slurmd; do
        echo "--- $log.log (last lines)"
        tail -20 "$work/$log.log" 2>/dev/null
    done
    exit 1
}

# munge: the key the package made, a socket of this test's own.
[[ -f /etc/munge/munge.key ]] || { mkdir -p /etc/munge && dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; }
chown munge:munge /etc/munge/munge.key 2>/dev/null || true
chmod 600 /etc/munge/munge.key
install -d -o munge -g munge -m 755 "$work/munge"
runuser -u munge -- /usr/sbin/munged --socket="$work/munge/munge.socket" --pid-file="$work/munge/munged.pid" \
    --log-file="$work/munge/munged.log" --seed-file="$work/munge/munged.seed"
cp "$work/munge/munged.pid" "$work/munged.pid"

host=$(hostname -s)
mkdir -p "$work/state" "$work/spool"
cat >"$work/slurm.conf" <<EOF
ClusterName=rhbatch
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$work/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 60); do
    sinfo -h -o %t 2>/dev/null | grep -q idle && break
    sleep 0.5
done
sinfo -h -o %t | grep -q idle || fail "the node did not come up"
echo "== $(($(date +%s) - started)) s: slurm up: $(sinfo -h -o '%P %t %D')"

# The simulator, on a free port; its first line names the URL.
"$bin" simulator --port 0 --latency 0.5:1.5 --concurrency-limit 8 >"$work/simulator.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    url=$(sed -n 's/^RH_API_BASE_URL=//p' "$work/simulator.out")
    [[ -n "$url" ]] && break
    sleep 0.1
done
[[ -n "${url:-}" ]] || fail "the simulator did not start: $(cat "$work/simulator.out")"
root=${url%/openapi/v2}

# A batch of 40 jobs: 10 prompts x 2 images x 2 models.
mkdir -p "$work/batch/in"
cp "$repo/samples/sofa.png" "$work/batch/in/sofa.png"
cp "$repo/samples/rug.png" "$work/batch/in/rug.png"
cat >"$work/batch/batch.yaml" <<'EOF'
version: 1
name: slurm-batch
matrix:
  prompt: ['Variation 1.', 'Variation 2.', 'Variation 3.', 'Variation 4.', 'Variation 5.', 'Variation 6.', 'Variation 7.', 'Variation 8.', 'Variation 9.', 'Variation 10.']
  image: "in/*.png"
  model: [grok-imagine, nano-banana-pro]
EOF
chmod -R a+rX "$work"
binfolder=$(dirname "$bin")
export RH_API_KEY=slurm-key RH_API_BASE_URL="$url" PATH="$binfolder:$PATH"
submit() {
    sbatch --parsable --chdir="$work/batch" -o "$work/batch/slurm-%A_%a.out" \
        --export=ALL,RH_BATCH_MANIFEST="$work/batch/batch.yaml",RH_BATCH_RESULTS="$work/batch/results" "$@" \
        "$repo/docs/examples/slurm-array.sh"
}

# The array as documented; array task 1 is requeued (killed and run again by Slurm) once its
# shard has sent a submit.
job=$(submit)
echo "== $(($(date +%s) - started)) s: submitted array job $job"
journal="$work/batch/results/shard-1/journal.jsonl"
for _ in $(seq 1 200); do
    grep -q '"event":"submitted"' "$journal" 2>/dev/null && break
    sleep 0.1
done
grep -q '"event":"submitted"' "$journal" || fail "shard 1 sent no submit"
scontrol requeue "${job}_1"
# Slurm holds a requeued job back for a while (its begin time) before it may start again: once
# it is pending, let it start now.
for _ in $(seq 1 100); do
    [[ "$(squeue -h -j "${job}_1" -o %T 2>/dev/null)" == PENDING ]] && break
    sleep 0.2
done
scontrol update jobid="${job}_1" StartTime=now || true
echo "== $(($(date +%s) - started)) s: requeued array task ${job}_1 mid-run"
for _ in $(seq 1 600); do
    [[ -z "$(squeue -h -j "$job" 2>/dev/null)" ]] && break
    sleep 0.5
done
[[ -z "$(squeue -h -j "$job" 2>/dev/null)" ]] || fail "the array did not finish"
echo "== $(($(date +%s) - started)) s: the array finished"

billed_before=$(curl -s "$root/__simulator/ledger" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["billed"]))')
# A second submit of one index is an array of one (count 1, first index 1): --shard auto reads 0/1
# there, and the folder of shard 1/4 refuses it instead of running every shard's jobs.
again=$(submit --wait --array=1 || true)
grep -q "holds shard 1/4" "$work"/batch/slurm-"${again}"_1.out || fail "a lone resubmit was not refused: $(cat "$work"/batch/slurm-"${again}"_1.out)"
billed_after=$(curl -s "$root/__simulator/ledger" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["billed"]))')
[[ "$billed_before" == "$billed_after" ]] || fail "the refused resubmit billed $((billed_after - billed_before)) tasks"
echo "== $(($(date +%s) - started)) s: a lone resubmit of index 1 ($again) was refused, nothing billed"

"$bin" merge "$work"/batch/results/shard-{0,1,2,3} -o "$work/batch/results/all"

# Every job once, nothing billed twice, one merged report of all 40.
ledger=$(curl -s "$root/__simulator/ledger")
python3 - "$work/batch/results/all/report.json" "$ledger" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
ledger = json.loads(sys.argv[2])
keys = [job["key"] for job in report["jobs"]]
assert len(keys) == 40 and len(set(keys)) == 40, f"merged report has {len(keys)} jobs"
totals = report["totals"]
# SIGKILL between a submit sent and its answer recorded leaves that job "unknown" (never sent
# again without --resubmit-unknown): at most the killed shard's 4 tasks in flight.
unknown = totals["unknown"]
# The requeued shard's jobs done before it was killed count as already done in its report.
assert totals["succeeded"] + totals["alreadyDone"] + unknown == 40 and unknown <= 4, totals
assert totals["alreadyDone"] > 0, "the requeued shard did not resume its folder"
assert ledger["doubleBilled"] == 0, f"double billed: {ledger['doubleBilled']}"
bodies = [task["body"] for task in ledger["billed"]]
assert len(bodies) == len(set(bodies)), "a job was billed twice"
assert 40 - unknown <= len(bodies) <= 40, f"{len(bodies)} tasks billed for 40 jobs ({unknown} unknown)"
print(f"slurm-test: 40 jobs in 4 shards, one requeued mid-run: {len(bodies)} billed, none twice, "
      f"{totals['succeeded']} succeeded, {totals['alreadyDone']} resumed as done, {unknown} unknown; merged report of 40")
EOF
echo "slurm-test: ok in $(($(date +%s) - started)) s"
