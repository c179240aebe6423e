#!/bin/sh
# Runs every integration test script against a build variant's binary:
#   tests/run-integration.sh build|build/asan [NAME-PATTERN]
# A script exits 0 (pass), 77 (skip, with a reason on stdout) or anything else (fail).
# The counts and each skip's reason go to VARIANT/integration.summary (tests/summary.sh).
b=${1:-build}
pattern=${2:-*}
root=$(cd "$(dirname "$0")/.." && pwd)
export IMGPOOL="$root/$b/imgpool" BUILD="$root/$b" ROOT="$root"
export SHARED="${SHARED:-$root/../shared}"
pass=0; fail=0; skip=0; failed=""
notes=$(mktemp)
for t in "$root"/tests/integration/[0-9][0-9]-$pattern.sh; do
  [ -f "$t" ] || continue
  name=$(basename "$t" .sh)
  log=$(mktemp)
  start=$(date +%s)
  timeout 300 sh "$t" >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  case $rc in
    0) pass=$((pass+1)); echo "ok    $name (${secs}s)";;
    77) skip=$((skip+1)); echo "skip  $name: $(tail -n 1 "$log")"
        echo "$name: $(tail -n 1 "$log")" >>"$notes";;
    *) fail=$((fail+1)); failed="$failed $name"; echo "FAIL  $name (exit $rc, ${secs}s)"; sed 's/^/    | /' "$log" | tail -n 40;;
  esac
  rm -f "$log"
done
echo "integration ($b): $((pass+fail+skip)) scripts ran: $pass passed, $skip skipped, $fail failed"
{ echo "$((pass+fail+skip)) $pass $skip $fail"; cat "$notes"; } >"$root/$b/integration.summary"
rm -f "$notes"
[ $fail -eq 0 ] || { echo "failed:$failed"; exit 1; }
