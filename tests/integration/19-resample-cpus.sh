#!/bin/sh
# The resampler's row loop has a copy per instruction set (AVX2 and SSE2 on
# x86-64), picked when the program loads; both must write the same bytes, or
# the same folder would come out different on two machines (or two shards).
# tool_resample runs a fixed set of cases through the module as built, and
# tool_resample_portable through a copy compiled with one plain loop.
. "$ROOT/tests/integration/lib.sh"
"$BUILD/tests/tool_resample" >"$T/built" || fail "tool_resample failed"
"$BUILD/tests/tool_resample_portable" >"$T/plain" || fail "tool_resample_portable failed"
[ "$(wc -l <"$T/built")" -ge 10 ] || fail "too few cases: $(cat "$T/built")"
diff "$T/plain" "$T/built" >"$T/diff" || { cat "$T/diff"; fail "the copies differ"; }
echo "ok: $(wc -l <"$T/built") cases, the same bytes from both copies"
