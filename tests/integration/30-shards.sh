#!/bin/sh
# The README's many-machine examples, simulated on this machine: shards run
# at once into one output folder give exactly what one run gives (byte for
# byte), and their reports hold every file exactly once.
. "$ROOT/tests/integration/lib.sh"
ex="$ROOT/tools/examples"
mkdir -p "$T/in"
cp -r "$ROOT/samples" "$T/in/samples"
[ ! -d "$SHARED/corpus/pngsuite" ] || cp -r "$SHARED/corpus/pngsuite" "$T/in/pngsuite"
total=$(find "$T/in" -type f | wc -l)
export IMGPOOL IN="$T/in"

# One shard of one is the single run: the reference.
OUT="$T/ref" REPORTS="$T/ref-reports" SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_COUNT=1 \
  sh "$ex/slurm-array.sh" 2>"$T/err" || true
[ -n "$(ls "$T/ref")" ] || fail "reference run wrote nothing: $(cat "$T/err")"

compare() {  # compare NAME OUTDIR: same files, same bytes as the reference
  diff -r -q "$T/ref" "$2" >"$T/diff" 2>&1 || { head "$T/diff"; fail "$1 differs from one run"; }
}
merged() {   # merged NAME REPORT...: the union is every file exactly once
  name=$1; shift
  "$IMGPOOL" report merge "$@" >"$T/merge" 2>&1 || { cat "$T/merge"; fail "$name: reports overlap"; }
  grep -q "reports: $total files" "$T/merge" || { cat "$T/merge"; fail "$name: not every file ($total)"; }
}

# Slurm: an array of 4, run at once, as sbatch would.
for id in 0 1 2 3; do
  OUT="$T/slurm" REPORTS="$T/slurm-reports" SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_COUNT=4 \
    sh "$ex/slurm-array.sh" 2>/dev/null &
done
wait
compare slurm "$T/slurm"
merged slurm "$T"/slurm-reports/shard-*.json

# Kubernetes: the manifest's args with JOB_COMPLETION_INDEX set per pod.
completions=$(sed -n 's/^ *completions: *//p' "$ex/k8s-indexed-job.yaml")
i=0
while [ "$i" -lt "$completions" ]; do
  python3 - "$ex/k8s-indexed-job.yaml" "$T" "$i" >"$T/args-$i" <<'PY'
import json, re, sys
text, tmp, idx = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
args = json.loads(re.search(r"^\s*args: (\[.*\])$", text, re.M).group(1))
args = [a.replace("$(JOB_COMPLETION_INDEX)", idx).replace("/data/photos-small", tmp + "/k8s")
         .replace("/data/photos", tmp + "/in").replace("/data/reports", tmp + "/k8s-reports")
        for a in args]
print("\0".join(args), end="")
PY
  i=$((i+1))
done
mkdir -p "$T/k8s-reports"
i=0
while [ "$i" -lt "$completions" ]; do
  (JOB_COMPLETION_INDEX=$i xargs -0 "$IMGPOOL" <"$T/args-$i" 2>/dev/null) &
  i=$((i+1))
done
wait
[ "$(ls "$T"/k8s-reports | wc -l)" -eq "$completions" ] || fail "k8s: not one report per pod"
merged k8s "$T"/k8s-reports/*.json
# The manifest converts like the Slurm script (same options): same outputs.
diff -r -q "$T/ref" "$T/k8s" >/dev/null || fail "k8s outputs differ from one run"

# GNU parallel with the local machine as the "ssh login".
if command -v parallel >/dev/null 2>&1; then
  # exits 4: each shard has some of pngsuite's corrupt files
  OUT="$T/par" SSHLOGIN=":" SHARDS=4 sh "$ex/gnu-parallel.sh" >"$T/par.log" 2>&1
  grep -q "4 reports: $total files" "$T/par.log" || { cat "$T/par.log"; fail "parallel: not every file"; }
  rm -f "$T"/par/.report-*.json
  compare parallel "$T/par"
else
  echo "GNU parallel not installed: its example not simulated"
fi

# --files-from with awkward names (spaces, a newline) through -0.
mkdir -p "$T/odd/with space"
cp "$ROOT/samples/sunset.png" "$T/odd/with space/a b.png"
cp "$ROOT/samples/sunset.png" "$T/odd/new
line.png"
(cd "$T/odd" && find . -type f -print0) | (cd "$T/odd" && "$IMGPOOL" --files-from - -0 -q -o "$T/oddout") ||
  fail "--files-from -0 failed"
[ -s "$T/oddout/with space/a b.png" ] && [ -s "$T/oddout/new
line.png" ] || fail "--files-from outputs missing: $(find "$T/oddout")"
