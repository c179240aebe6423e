#!/bin/sh
# The last words of `make test`: how many tests ran, passed, were skipped
# (and why) and failed, per kind, over the build variants given:
#   tests/summary.sh build build/asan
# Reads the VARIANT/unit.summary and VARIANT/integration.summary files that
# tests/run-unit.sh and tests/run-integration.sh leave: a first line
# "RAN PASSED SKIPPED FAILED", then one line per skip (or partial skip) reason.
status=0
echo "== make test: $* =="
for kind in unit integration; do
  ran=0; pass=0; skip=0; fail=0; why=$(mktemp)
  for b in "$@"; do
    f="$b/$kind.summary"
    if [ ! -f "$f" ]; then
      echo "   $kind ($b): did not run"; status=1; continue
    fi
    read -r r p s x <"$f"
    ran=$((ran + r)); pass=$((pass + p)); skip=$((skip + s)); fail=$((fail + x))
    tail -n +2 "$f" | sed "s|^|     $b: |" >>"$why"
  done
  if [ "$kind" = unit ]; then what="unit tests (cmocka)"; else what="integration scripts"; fi
  echo "   $what: $ran ran, $pass passed, $skip skipped, $fail failed"
  [ "$fail" -eq 0 ] || status=1
  if [ -s "$why" ]; then
    echo "   skipped (whole or in part), and why:"
    cat "$why"
  fi
  rm -f "$why"
done
exit $status
