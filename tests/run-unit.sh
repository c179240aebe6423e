#!/bin/sh
# Runs every cmocka unit test binary of a build variant: tests/run-unit.sh build|build/asan
# Counts what cmocka ran, passed, skipped and failed, and keeps the counts and
# every "skipping" note in VARIANT/unit.summary for tests/summary.sh.
b=${1:-build}
ran=0; pass=0; skip=0; fail=0; failed=""
log=$(mktemp)
notes=$(mktemp)
for t in "$b"/tests/test_*; do
  [ -x "$t" ] || continue
  case "$t" in *.d|*.o) continue;; esac
  "$t" >"$log" 2>&1
  rc=$?
  cat "$log"
  # cmocka: "[==========] N test(s) run." "[  PASSED  ] N test(s)." "[  SKIPPED ] N test(s)..."
  set -- $(awk '/^\[==========\] [0-9]+ test\(s\) run/ { r += $2 }
                /^\[  PASSED  \] [0-9]+ test/ { p += $4 }
                /^\[  SKIPPED \] [0-9]+ test/ { s += $4 }
                END { print r + 0, p + 0, s + 0 }' "$log")
  ran=$((ran + $1)); pass=$((pass + $2)); skip=$((skip + $3))
  grep -i 'skipping' "$log" | sed "s|^|$(basename "$t"): |" >>"$notes"
  if [ $rc -ne 0 ]; then
    failed="$failed $(basename "$t")"
    fail=$((fail + (rc > 0 && rc < 126 ? rc : 1)))   # cmocka exits with its failure count
  fi
done
echo "unit ($b): $ran tests ran: $pass passed, $skip skipped, $fail failed"
{ echo "$ran $pass $skip $fail"; sort -u "$notes"; } >"$b/unit.summary"
rm -f "$log" "$notes"
[ -z "$failed" ] || { echo "failed:$failed"; exit 1; }
