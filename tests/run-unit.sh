#!/bin/sh
# Runs every cmocka unit test binary of a build variant: tests/run-unit.sh build|build/asan
b=${1:-build}
pass=0; fail=0; failed=""
for t in "$b"/tests/test_*; do
  [ -x "$t" ] || continue
  case "$t" in *.d|*.o) continue;; esac
  if "$t"; then pass=$((pass+1)); else fail=$((fail+1)); failed="$failed $(basename "$t")"; fi
done
echo "unit ($b): $pass passed, $fail failed"
[ $fail -eq 0 ] || { echo "failed:$failed"; exit 1; }
