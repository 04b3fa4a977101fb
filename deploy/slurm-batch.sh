#!/usr/bin/env bash
# A batch as a Slurm job array: one array task per shard, then a merge.
#
#   sbatch deploy/slurm-batch.sh                     # the shards
#   sbatch --dependency=afterok:<jobid> --wrap \
#     "tabletop merge results/shard-* --out results/all"   # when all are done
#
# Every task runs `tabletop batch --shard K/N` with K = its array index; the
# merged folder is byte for byte what one machine running all the draws
# writes. Run it from the repository root (scenario and map paths are
# relative), with `tabletop` on PATH (cargo install --path .) or TABLETOP set.
#
#SBATCH --job-name=tabletop-batch
#SBATCH --array=0-9
#SBATCH --cpus-per-task=2
#SBATCH --mem-per-cpu=512M
#SBATCH --time=00:30:00
#SBATCH --output=results/logs/%A_%a.out
set -euo pipefail

TABLETOP="${TABLETOP:-tabletop}"
SCENARIO="${SCENARIO:-scenarios/linqing/wei-flood-west.ron}"
RUNS="${RUNS:-1000}"
# Must match the --array size above.
SHARDS="${SHARDS:-10}"
K="${SLURM_ARRAY_TASK_ID:?run as a Slurm array task (or set SLURM_ARRAY_TASK_ID)}"
JOBS="${SLURM_CPUS_PER_TASK:-1}"

mkdir -p results/logs
exec "$TABLETOP" batch "$SCENARIO" --runs "$RUNS" --jobs "$JOBS" \
    --shard "$K/$SHARDS" --out "results/shard-$K" --quiet
