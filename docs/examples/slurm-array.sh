#!/bin/bash
# docs/examples/slurm-array.sh (tests run this file; docs/cli.md shows it)
#SBATCH --job-name=rh-batch
#SBATCH --array=0-3
#SBATCH --time=12:00:00
# The manifest and the results folder may be given at submit time:
#   sbatch --export=ALL,RH_BATCH_MANIFEST=batch.yaml,RH_BATCH_RESULTS=results slurm-array.sh
export RH_API_KEY="${RH_API_KEY:-$(cat ~/.config/runninghub/key)}"
# --shard auto: the index and the count from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT.
exec rh-batch run "${RH_BATCH_MANIFEST:-batch.yaml}" --shard auto -j 4 -q --no-progress \
    -o "${RH_BATCH_RESULTS:-results}/shard-${SLURM_ARRAY_TASK_ID}"
