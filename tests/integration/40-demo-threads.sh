#!/bin/sh
# The thread demos: thread, interleave, iterations, lock, primes, and what
# every demo shares (list, --help, --show-code, --lang, --timeline, --trace).
set -u
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$IMGPOOL" demo list >"$t/list" 2>&1
grep -q '^  thread ' "$t/list" || fail "imgpool demo list: $(cat "$t/list" 2>/dev/null)"

# list, --help, --show-code for every demo
for d in $(awk '{print $1}' "$t/list"); do
  "$IMGPOOL" demo "$d" --help >"$t/help" || fail "$d --help"
  grep -q "imgpool demo $d" "$t/help" || fail "$d --help text"
  "$IMGPOOL" demo "$d" --show-code >"$t/code" || fail "$d --show-code"
  grep -q "src/demo/$d.c (core)" "$t/code" || fail "$d --show-code header"
  [ "$(wc -l <"$t/code")" -ge 5 ] || fail "$d --show-code prints its code"
done
"$IMGPOOL" demo lock --show-code | grep -q 'interleave_print_multiple' || fail "lock shows the code it uses"
"$IMGPOOL" demo nosuch >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown demo: exit 2"
"$IMGPOOL" demo thread --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown option: exit 2"
"$IMGPOOL" demo thread --gil >/dev/null 2>&1; [ $? -eq 2 ] || fail "--gil only for CPU-bound thread demos"
"$IMGPOOL" demo primes --count 0 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--count 0 rejected"

# thread: hello from another thread of the same process, joined
"$IMGPOOL" demo thread --lang en >"$t/out" || fail "thread run"
grep -q '^hello$' "$t/out" || fail "thread prints hello (end='')"
main=$(sed -n 's/^main thread: pid \([0-9]*\), tid \([0-9]*\)$/\1 \2/p' "$t/out")
joined=$(sed -n 's/^joined the thread: pid \([0-9]*\), tid \([0-9]*\)$/\1 \2/p' "$t/out")
[ "${main% *}" = "${joined% *}" ] || fail "same pid: $main / $joined"
[ "${main#* }" != "${joined#* }" ] || fail "other tid: $main / $joined"
LANG=de_DE.UTF-8 "$IMGPOOL" demo thread | grep -q 'Ein Thread ist' || fail "German from LANG"
LANG=de_DE.UTF-8 "$IMGPOOL" demo thread --lang en | grep -q 'A thread is' || fail "--lang en wins"

# interleave: both threads print all their characters
"$IMGPOOL" demo interleave --delay-us 100 >"$t/out" || fail "interleave run"
line=$(grep -E '^[ab]{40}$' "$t/out") || fail "interleave: one line of 40 a/b"
[ "$(printf %s "$line" | tr -cd a | wc -c)" -eq 20 ] || fail "20 a: $line"
[ "$(printf %s "$line" | tr -cd b | wc -c)" -eq 20 ] || fail "20 b: $line"

# lock: with the lock each thread's output is one whole block
"$IMGPOOL" demo lock --delay-us 100 --n 30 >"$t/out" || fail "lock run"
grep -Eq '^with lock: +(a{30}b{30}|b{30}a{30})$' "$t/out" || fail "locked output is whole blocks: $(cat "$t/out")"
unlocked=$(sed -n 's/^without lock: *//p' "$t/out")
[ "$(printf %s "$unlocked" | tr -cd a | wc -c)" -eq 30 ] || fail "unlocked: 30 a"

# iterations: the slices of each thread add up to its total
check_slices() {
  for th in a b; do
    sum=$(awk -v th="$th" '$2 == "iterations" && $5 == th {s += $1; n++} END {print s+0, n+0}' "$1")
    tot=$(sed -n "s/^thread $th: \([0-9]*\) iterations in total, \([0-9]*\) slices$/\1 \2/p" "$1")
    [ -n "$tot" ] && [ "$sum" = "$tot" ] || fail "thread $th: slices $sum, total $tot"
  done
}
"$IMGPOOL" demo iterations --ms 60 --full >"$t/out" || fail "iterations run"
check_slices "$t/out"
grep -q 'CPU/wall' "$t/out" || fail "iterations prints timings"
"$IMGPOOL" demo iterations --ms 100 --gil --full --trace "$t/it.json" >"$t/out" || fail "iterations --gil"
check_slices "$t/out"
n=$(sed -n 's/^GIL hand-overs: //p' "$t/out"); [ "${n:-0}" -ge 1 ] || fail "GIL handed over"

# The GIL emulation: no two threads ever hold it at once (from the trace).
python3 - "$t/it.json" <<'PY' || fail "GIL spans overlap"
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e["ph"] == "X"]
held = sorted((e["ts"], e["ts"] + e["dur"], e["tid"]) for e in ev if "holding the GIL" in e["name"])
assert held, ev
for (s1, e1, t1), (s2, e2, t2) in zip(held, held[1:]):
    assert t1 == t2 or s2 >= e1 - 0.001, (s1, e1, t1, s2, e2, t2)
PY

# primes: exactly ...039, ...061, ...063 of the slide's 64 numbers are prime
check_primes() {
  [ "$(grep -Ec '^10000000000[0-6][0-9] is (not )?prime' "$1")" -eq 64 ] || fail "64 verdicts"
  [ "$(grep -E '^[0-9]+ is prime$' "$1" | sort | tr '\n' ' ')" = \
    "1000000000039 is prime 1000000000061 is prime 1000000000063 is prime " ] || fail "primes: $(grep 'is prime' "$1")"
  after=$(sed -n '/^all threads finished: 64 numbers, 61 not prime$/,$p' "$1" | grep -c '^[0-9]* is')
  [ "$after" -eq 0 ] || fail "all threads finished comes last"
}
"$IMGPOOL" demo primes --full >"$t/out" || fail "primes run"
check_primes "$t/out"
"$IMGPOOL" demo primes --gil --timeline --width 40 --full >"$t/out" || fail "primes --gil"
check_primes "$t/out"
[ "$(grep -c '^10000000000[0-6][0-9] |' "$t/out")" -eq 64 ] || fail "timeline: one row per thread"
grep -q 'waiting for the GIL' "$t/out" || fail "timeline legend"
# one screen by default: the primes and a few others, 8 timeline rows
"$IMGPOOL" demo primes --timeline >"$t/out" || fail "primes default"
[ "$(grep -c ' is prime$' "$t/out")" -eq 3 ] || fail "the three primes always show"
[ "$(grep -c '^10000000000[0-6][0-9] |' "$t/out")" -eq 8 ] || fail "first and last 4 rows"
grep -q '^\.\.\. 56 more (--full shows all)$' "$t/out" || fail "rows left out, said so"

# --trace: valid JSON naming every thread; a bad path fails before the run
"$IMGPOOL" demo lock --delay-us 0 --trace "$t/lock.json" >/dev/null || fail "lock --trace"
python3 - "$t/lock.json" <<'PY' || fail "lock trace"
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
names = {e["args"]["name"] for e in ev if e["name"] == "thread_name"}
assert names == {"a", "b", "a (lock)", "b (lock)"}, names
assert any("the lock" in e["name"] for e in ev), ev
PY
"$IMGPOOL" demo thread --trace "$t/no/such/dir.json" >"$t/out" 2>&1; [ $? -eq 1 ] || fail "bad trace path: exit 1"
grep -q hello "$t/out" && fail "bad trace path: fails before the run"
ls "$t" | grep -q tmp && fail "no temporary trace file left"

# --lang de: the kit's failures are German too. glibc sizes a thread's
# stack by the stack limit and the kernel refuses to commit 1 TiB, so no
# demo thread can start (as in 35-xkcd-compare-interrupt.sh).
rc=0
(ulimit -s 1073741824 && exec "$IMGPOOL" demo thread --lang de) >"$t/out" 2>"$t/err" || rc=$?
if grep -q 'Thread starten\|start a thread' "$t/err"; then
  [ "$rc" -eq 1 ] || fail "de: a thread that cannot start: exit $rc, expected 1"
  grep -q '^imgpool demo: kann keinen Thread starten: ' "$t/err" ||
    { cat "$t/err"; fail "de: the kit's thread failure, not in German"; }
  grep -q 'cannot start' "$t/err" && fail "de: English beside the German thread failure"
else
  echo "a thread with a 1 TiB stack started here (overcommit?): thread failure not checked"
fi
echo ok
