#!/bin/sh
# A Slurm job array: 8 tasks, each processes its shard of one folder into one
# shared output folder. imgpool reads SLURM_ARRAY_TASK_ID and
# SLURM_ARRAY_TASK_COUNT itself. Submit with: sbatch tools/examples/slurm-array.sh
#SBATCH --job-name=imgpool
#SBATCH --array=0-7
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --time=02:00:00
set -eu
IMGPOOL=${IMGPOOL:-imgpool}
IN=${IN:-/data/photos}
OUT=${OUT:-/data/photos-small}
REPORTS=${REPORTS:-/data/reports}
mkdir -p "$REPORTS"
exec "$IMGPOOL" -r "$IN" --resize '1024x1024>' --format jpg --quality 85 \
  --procs "${SLURM_CPUS_PER_TASK:-4}" -q -o "$OUT" \
  --report "$REPORTS/shard-${SLURM_ARRAY_TASK_ID}.json"
# Afterwards: imgpool report merge /data/reports/shard-*.json -o /data/reports/all.json
