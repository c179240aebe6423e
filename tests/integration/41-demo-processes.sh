#!/bin/sh
# The process demos: process, fib-procs, fib-map, shared-memory, pipe, queue.
set -u
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$IMGPOOL" demo list 2>&1 | grep -q '^  process ' || fail "imgpool demo list: $(cat "$t/list" 2>/dev/null)"
# fib(n) computed independently of imgpool
fib() { python3 -c "a, b = 0, 1
for _ in range($1): a, b = b, a + b
print(a)"; }

# process: the child has its own pid, and the parent's pid as parent
"$IMGPOOL" demo process --timeline >"$t/out" || fail "process run"
parent=$(sed -n 's/^parent: my pid is \([0-9]*\)$/\1/p' "$t/out")
started=$(sed -n 's/^parent: started a child with pid \([0-9]*\)$/\1/p' "$t/out")
child=$(sed -n "s/^child:  hello, my pid is \([0-9]*\), my parent's pid is \([0-9]*\)$/\1 \2/p" "$t/out")
[ -n "$parent" ] && [ "$child" = "$started $parent" ] || fail "pids: parent $parent, started $started, child $child"
[ "$started" != "$parent" ] || fail "child pid differs"
[ "$(grep -c '^child:  hello' "$t/out")" -eq 1 ] || fail "the child's output once, not repeated"
grep -q '^child  |' "$t/out" || fail "timeline row of the child"

# fib-procs: fib(30..39) each once, each from its own process
"$IMGPOOL" demo fib-procs >"$t/out" || fail "fib-procs run"
for n in 30 31 32 33 34 35 36 37 38 39; do
  [ "$(grep -c "^fib($n) = $(fib $n) " "$t/out")" -eq 1 ] || fail "fib($n) once: $(grep "^fib($n)" "$t/out")"
done
[ "$(grep '^fib([0-9]*) = ' "$t/out" | sed 's/.*(pid \([0-9]*\),.*/\1/' | sort -u | wc -l)" -eq 10 ] || fail "10 processes"
grep -q '^fib(30) = 832040 ' "$t/out" && grep -q '^fib(39) = 63245986 ' "$t/out" || fail "slide values"
grep -q '^all 10 processes joined$' "$t/out" || fail "joined"
grep -q 'CPU/wall' "$t/out" || fail "timings"

# fib-map: the results in input order
"$IMGPOOL" demo fib-map --n 25 >"$t/out" || fail "fib-map run"
want=$(python3 -c "
r, a, b = [], 0, 1
for _ in range(25): r.append(a); a, b = b, a + b
print('[' + ', '.join(map(str, r)) + ']')")
# the list is wrapped before column 100; joined it is Python's
got=$(sed -n '/ -> map(fib) ->/,$p' "$t/out" | sed -n '2,/]$/p' | tr -d '\n' | sed 's/  */ /g')
[ "$got" = "$want" ] || fail "fib-map: want $want, got $got"

# shared-memory: the child's changes are seen; the locked counter is exact
"$IMGPOOL" demo shared-memory --procs 3 --n 20000 --lang en >"$t/out" || fail "shared-memory run"
grep -q '^parent, after child: *value = 3.1415927, array = \[-2, -4, -13\]$' "$t/out" || fail "Value/Array"
grep -q '^with lock: *counter = 60000, expected 60000 (0 updates lost)$' "$t/out" || fail "locked counter"
grep -q '^without lock: *counter = [0-9]*, expected 60000' "$t/out" || fail "unlocked counter"
# The race shows by default (children start together, work sized in time).
# Statistical, as the issue asks: it must show in at least one of 5 runs
# (measured: 20 of 20 runs on 2 busy cores); the counts go to the log.
lost=0
for i in 1 2 3 4 5; do
  "$IMGPOOL" demo shared-memory --ms 50 --lang en >"$t/out" || fail "shared-memory default run"
  line=$(grep '^without lock:' "$t/out")
  echo "run $i: $line"
  want=$(echo "$line" | sed -n 's/.*expected \([0-9]*\) (\([0-9]*\) updates lost)$/\1 \2/p')
  [ -n "$want" ] || fail "unlocked line: $line"
  [ "${want#* }" -gt 0 ] && lost=$((lost + 1))
  grep -Eq '^with lock: *counter = ([0-9]+), expected \1 \(0 updates lost\)$' "$t/out" || fail "locked: exact"
done
[ "$lost" -ge 1 ] || fail "no lost update in 5 runs"
echo "lost updates in $lost of 5 runs"

# pipe: every job answered exactly once, correctly
"$IMGPOOL" demo pipe --jobs 4 --n 20 --pause-ms 5 >"$t/out" || fail "pipe run"
for i in 1 2 3 4; do
  n=$((19 + i))
  [ "$(grep -c "^parent: *answer $i: fib($n) = $(fib $n) " "$t/out")" -eq 1 ] || fail "answer $i once"
  [ "$(grep -c "woke up: job $i," "$t/out")" -eq 1 ] || fail "job $i received once"
done
grep -q '^all 4 answers received exactly once, in order$' "$t/out" || fail "pipe summary"
grep -q 'pipe closed, exiting' "$t/out" || fail "the child ends at EOF"

# queue: every message delivered exactly once; consumers' counts add up
"$IMGPOOL" demo queue --producers 3 --consumers 4 --messages 500 --count 20000 --trace "$t/q.json" >"$t/out" \
  || fail "queue run"
grep -q '^all 1500 messages delivered exactly once$' "$t/out" || fail "queue delivery"
[ "$(grep -c '^producer [0-9] (pid [0-9]*): put 500 messages$' "$t/out")" -eq 3 ] || fail "producers"
sum=$(sed -n 's/^consumer [0-9] (pid [0-9]*): got \([0-9]*\) messages$/\1/p' "$t/out" | awk '{s += $1} END {print s}')
[ "$sum" = 1500 ] || fail "consumers got $sum"
for via in 'bare pipe \(write, read\)' 'queue in shared memory' 'queue as Python builds it'; do
  grep -Eq "^  $via +[0-9]+ messages/s \(all 20000 in order\)$" "$t/out" || fail "rate: $via"
done
python3 - "$t/q.json" <<'PY' || fail "queue trace: one process per producer/consumer"
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
procs = {e["pid"] for e in ev if e["ph"] == "X"}
assert len(procs) == 7, procs
PY
echo ok
