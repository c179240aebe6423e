#!/bin/sh
# The pool demos: pool-map (exact big fib in input order) and image-pool.
set -u
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$IMGPOOL" demo list 2>&1 | grep -q '^  pool-map ' || fail "imgpool demo list: $(cat "$t/list" 2>/dev/null)"

# pool-map: fib(1000..1099) exactly, in input order, computed independently
"$IMGPOOL" demo pool-map --timeline --full >"$t/out" || fail "pool-map run"
python3 -c "
a, b = 0, 1
for n in range(1100):
    if n >= 1000: print('fib(%d) = %d' % (n, a))
    a, b = b, a + b" >"$t/want"
grep '^fib(' "$t/out" >"$t/got"
cmp -s "$t/want" "$t/got" || { diff "$t/want" "$t/got" | head -5; fail "pool-map results"; }
f1000=43466557686937456435688527675040625802564660517371780402481729089536555417949051890403879840079255169295922593080322634775209689623239873322471161642996440906533187938298969649928516003704476137795166849228875
grep -qx "fib(1000) = $f1000" "$t/got" || fail "fib(1000), the issue's value"
[ ${#f1000} -eq 209 ] || fail "fib(1000) has 209 digits"
[ "$(sed -n 's/^fib(1099) = //p' "$t/got" | tr -d '\n' | wc -c)" -eq 230 ] || fail "fib(1099) has 230 digits"
grep -q '^1 and N processes give identical results$' "$t/out" || fail "1 vs N"
grep -Eq '^4 processes: wall [0-9.]+ s, CPU in tasks [0-9.]+ s, speed-up [0-9.]+x$' "$t/out" || fail "timings"
[ "$(grep -c '^worker [0-3] |' "$t/out")" -eq 4 ] || fail "timeline: a row per worker"
"$IMGPOOL" demo pool-map --from 20 --to 25 --procs 3 >"$t/out" || fail "small range"
[ "$(grep '^fib(' "$t/out" | tr '\n' ' ')" = "fib(20) = 6765 fib(21) = 10946 fib(22) = 17711 fib(23) = 28657 fib(24) = 46368 " ] \
  || fail "range(20, 25)"

# image-pool: the folder job, every image gets an output
[ -d "$ROOT/samples" ] || { echo "no samples/ folder"; exit 77; }
"$IMGPOOL" demo image-pool --dir "$ROOT/samples" --out "$t/o" --procs 2 -- --resize 50% >"$t/out" 2>"$t/err" \
  || { cat "$t/err"; fail "image-pool run"; }
n_in=$(ls "$ROOT/samples" | wc -l)
n_out=$(ls "$t/o" | wc -l)
[ "$n_in" -gt 0 ] && [ "$n_in" -eq "$n_out" ] || fail "$n_in inputs, $n_out outputs"
for f in "$ROOT"/samples/*; do
  stem=$(basename "$f"); stem=${stem%.*}
  ls "$t/o/$stem".* >/dev/null 2>&1 || fail "no output for $f"
done
grep -q "files: $n_in processed" "$t/err" || fail "job summary: $(cat "$t/err")"
grep -Eq '^2 processes: +wall' "$t/out" && grep -Eq '^1 process: +wall' "$t/out" || fail "both runs timed"
"$IMGPOOL" demo image-pool --dir "$t/nonexistent" --out "$t/o2" >/dev/null 2>&1 && fail "a missing folder fails"
echo ok
