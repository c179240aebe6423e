#!/bin/sh
# The process demos: process, fib-procs, fib-map, shared-memory, pipe, queue.
. "$ROOT/tests/integration/lib.sh"
"$IMGPOOL" demo list 2>&1 | grep -q '^  process ' || fail "imgpool demo list: $(cat "$T/list" 2>/dev/null)"
# fib(n) computed independently of imgpool
fib() { python3 -c "a, b = 0, 1
for _ in range($1): a, b = b, a + b
print(a)"; }

# process: the child has its own pid, and the parent's pid as parent
"$IMGPOOL" demo process --timeline >"$T/out" || fail "process run"
parent=$(sed -n 's/^parent: my pid is \([0-9]*\)$/\1/p' "$T/out")
started=$(sed -n 's/^parent: started a child with pid \([0-9]*\)$/\1/p' "$T/out")
child=$(sed -n "s/^child:  hello, my pid is \([0-9]*\), my parent's pid is \([0-9]*\)$/\1 \2/p" "$T/out")
[ -n "$parent" ] && [ "$child" = "$started $parent" ] || fail "pids: parent $parent, started $started, child $child"
[ "$started" != "$parent" ] || fail "child pid differs"
[ "$(grep -c '^child:  hello' "$T/out")" -eq 1 ] || fail "the child's output once, not repeated"
grep -q '^child  |' "$T/out" || fail "timeline row of the child"

# fib-procs: fib(30..39) each once, each from its own process
"$IMGPOOL" demo fib-procs >"$T/out" || fail "fib-procs run"
for n in 30 31 32 33 34 35 36 37 38 39; do
  [ "$(grep -c "^fib($n) = $(fib $n) " "$T/out")" -eq 1 ] || fail "fib($n) once: $(grep "^fib($n)" "$T/out")"
done
[ "$(grep '^fib([0-9]*) = ' "$T/out" | sed 's/.*(pid \([0-9]*\),.*/\1/' | sort -u | wc -l)" -eq 10 ] || fail "10 processes"
grep -q '^fib(30) = 832040 ' "$T/out" && grep -q '^fib(39) = 63245986 ' "$T/out" || fail "slide values"
grep -q '^all 10 processes joined$' "$T/out" || fail "joined"
grep -q 'CPU/wall' "$T/out" || fail "timings"

# fib-map: the results in input order
"$IMGPOOL" demo fib-map --n 25 >"$T/out" || fail "fib-map run"
want=$(python3 -c "
r, a, b = [], 0, 1
for _ in range(25): r.append(a); a, b = b, a + b
print('[' + ', '.join(map(str, r)) + ']')")
# the list is wrapped before column 100; joined it is Python's
got=$(sed -n '/ -> map(fib) ->/,$p' "$T/out" | sed -n '2,/]$/p' | tr -d '\n' | sed 's/  */ /g')
[ "$got" = "$want" ] || fail "fib-map: want $want, got $got"

# shared-memory: the child's changes are seen; the locked counter is exact
"$IMGPOOL" demo shared-memory --procs 3 --n 20000 --lang en >"$T/out" || fail "shared-memory run"
grep -q '^parent, after child: *value = 3.1415927, array = \[-2, -4, -13\]$' "$T/out" || fail "Value/Array"
grep -q '^with lock: *counter = 60000, expected 60000 (0 updates lost)$' "$T/out" || fail "locked counter"
grep -q '^without lock: *counter = [0-9]*, expected 60000' "$T/out" || fail "unlocked counter"
# The race shows by default (children start together, work sized in time).
# Statistical, as the issue asks: it must show in at least one of 5 runs
# (measured: 20 of 20 runs on 2 busy cores); the counts go to the log.
lost_update_runs shared-memory "$IMGPOOL" demo shared-memory --ms 50 --lang en
[ "$lost" -ge 1 ] || fail "no lost update in 5 runs"
echo "lost updates in $lost of 5 runs"

# pipe: every job answered exactly once, correctly
"$IMGPOOL" demo pipe --jobs 4 --n 20 --pause-ms 5 >"$T/out" || fail "pipe run"
for i in 1 2 3 4; do
  n=$((19 + i))
  [ "$(grep -c "^parent: *answer $i: fib($n) = $(fib $n) " "$T/out")" -eq 1 ] || fail "answer $i once"
  [ "$(grep -c "woke up: job $i," "$T/out")" -eq 1 ] || fail "job $i received once"
done
grep -q '^all 4 answers received exactly once, in order$' "$T/out" || fail "pipe summary"
grep -q 'pipe closed, exiting' "$T/out" || fail "the child ends at EOF"

# queue: every message delivered exactly once; consumers' counts add up
"$IMGPOOL" demo queue --producers 3 --consumers 4 --messages 500 --count 20000 --trace "$T/q.json" >"$T/out" \
  || fail "queue run"
grep -q '^all 1500 messages delivered exactly once$' "$T/out" || fail "queue delivery"
[ "$(grep -c '^producer [0-9] (pid [0-9]*): put 500 messages$' "$T/out")" -eq 3 ] || fail "producers"
sum=$(sed -n 's/^consumer [0-9] (pid [0-9]*): got \([0-9]*\) messages$/\1/p' "$T/out" | awk '{s += $1} END {print s}')
[ "$sum" = 1500 ] || fail "consumers got $sum"
for via in 'bare pipe \(write, read\)' 'queue in shared memory' 'queue as Python builds it'; do
  grep -Eq "^  $via +[0-9]+ messages/s \(all 20000 in order\)$" "$T/out" || fail "rate: $via"
done
python3 - "$T/q.json" <<'PY' || fail "queue trace: one process per producer/consumer"
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
procs = {e["pid"] for e in ev if e["ph"] == "X"}
assert len(procs) == 7, procs
PY
echo ok
