#!/bin/sh
# The pool survives crashes, hangs and runaway allocations, one task each.
. "$ROOT/tests/integration/lib.sh"
tool="$BUILD/tests/tool_pool"
alloc="alloc=7"
is_asan && alloc=""   # ASan ignores the memory ceiling by design
expect_exit 0 "$tool" -j 3 -n 30 -t 1000 -m 512 crash=1,20 hang=4 $alloc fail=9 sleep=5
grep -q '^1 crashed worker crashed: signal 11' "$T/out" || fail "crash not blamed: $(cat "$T/out")"
grep -q '^20 crashed worker crashed: signal 11' "$T/out" || fail "second crash not blamed"
grep -q '^4 crashed timed out' "$T/out" || fail "hang not killed"
grep -q '^9 failed failed on purpose' "$T/out" || fail "failure not reported"
[ -z "$alloc" ] || grep -Eq '^7 (failed out of memory|crashed)' "$T/out" || fail "allocation not contained"
want_ok=26; [ -z "$alloc" ] || want_ok=25
[ "$(grep -c '^[0-9]* ok' "$T/out")" -eq "$want_ok" ] ||
  fail "wrong number of ok tasks: $(tail -n 1 "$T/out")"
